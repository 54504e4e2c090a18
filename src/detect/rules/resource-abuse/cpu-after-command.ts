/**
 * res.cpu-after-command: CPU stays busy (>= 0.25 cores on average, never idle, for 4 s or more)
 * after the agent's command has returned: work left running in the background. ATT&CK T1496.
 * Severity high. A CPU-heavy job that ends with its command is never flagged.
 */
import { defineRule } from '../../rule.js';

const WINDOW_MS = 5_000;
const MIN_SPAN_MS = 4_000;
const MIN_AVG = 0.25;
const MIN_EACH = 0.1;

export const cpuAfterCommand = defineRule({
  id: 'res.cpu-after-command',
  category: 'resource-abuse',
  severity: 'high',
  attack: ['T1496'],
  reason: "CPU keeps burning after the agent's command returned",
  kinds: ['resource.sample'],
  check(_event, state) {
    if (!state.commandReturned) return null;
    const cpu = state.cpu(WINDOW_MS);
    if (!cpu.allAfterCommand || cpu.samples < 3 || cpu.spanMs < MIN_SPAN_MS) return null;
    if (cpu.avgCores < MIN_AVG || cpu.minCores < MIN_EACH) return null;
    return {
      detail: `${cpu.avgCores.toFixed(2)} cores busy for ${(cpu.spanMs / 1000).toFixed(1)} s after the command returned`,
      evidence: { cpuCores: Number(cpu.avgCores.toFixed(3)), spanMs: cpu.spanMs },
      key: 'cpu-after-command',
      // No exec is running: every live process is work the command left behind.
      pids: state.livePids(),
    };
  },
});
