/**
 * res.cpu-with-denied-pool: the sandbox burns CPU (>= 0.2 cores over 5 s) while a pool-like
 * connection (stratum, a pool name or a stratum port) was denied in the last minute: a throttled,
 * renamed miner retrying its pool. ATT&CK T1496. Severity high. CPU alone is never flagged.
 */
import { defineRule } from '../../rule.js';
import type { FlowRecord } from '../../state.js';
import { isPoolLike } from '../../lib/net.js';

const WINDOW_MS = 5_000;
const MIN_CORES = 0.2;
const FLOW_LOOKBACK_MS = 60_000;

export const cpuWithDeniedPool = defineRule({
  id: 'res.cpu-with-denied-pool',
  category: 'mining',
  severity: 'high',
  attack: ['T1496'],
  reason: 'Sustained CPU while a connection to a pool-like destination was denied',
  kinds: ['resource.sample', 'net.flow'],
  check(_event, state) {
    const cpu = state.cpu(WINDOW_MS);
    if (cpu.samples < 2 || cpu.avgCores < MIN_CORES) return null;
    const recent = state.deniedFlows(state.now - FLOW_LOOKBACK_MS);
    let pool: FlowRecord | undefined;
    for (let i = recent.length - 1; i >= 0 && !pool; i -= 1) {
      const f = recent[i]!;
      if (isPoolLike(f.host, f.port, f.protocol)) pool = f;
    }
    if (!pool) return null;
    const dest = `${pool.host ?? pool.address}:${pool.port}`;
    return {
      detail: `${cpu.avgCores.toFixed(2)} cores busy while ${dest} was denied`,
      evidence: {
        cpuCores: Number(cpu.avgCores.toFixed(3)),
        windowMs: WINDOW_MS,
        destination: dest,
      },
      pid: pool.pid,
      exe: pool.exe,
      key: 'cpu-with-denied-pool',
      eventIds: [pool.eventId],
    };
  },
});
