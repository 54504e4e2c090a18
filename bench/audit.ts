/**
 * Audit store throughput: events per second appended into the hash-chained SQLite store, end to
 * end (canonical JSON, sha256 chain, batched transactions, every index), timed until the last
 * batch is committed; then the chain is verified (timed apart).
 * Run: `CORDON_BENCH=1 npx vitest run test/audit/bench.test.ts` (prints the figures), or from a
 * compiled build `node dist/bench/audit.js [--short]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AuditStore, verify } from '../src/audit/index.js';
import { sampleEvent } from './audit-events.js';
import { runInOwnProcess } from './harness.js';

export interface AuditBenchResult {
  events: number;
  /** Throughput by CPU time of this process (all threads): steadier than wall time on a busy host. */
  eventsPerCpuSec: number;
  /** 1-minute load average when the run ended: read figures in its light. */
  loadAverage: number;
  appendSeconds: number;
  eventsPerSec: number;
  verifySeconds: number;
  verified: boolean;
  /** Which writer ran (`inline` when the worker was asked for but could not start). */
  writer: 'worker' | 'inline';
  /** Longest single `append` call: how long the publishing thread was held at worst. */
  longestAppendMs: number;
}

/**
 * Appends `events` (default: `short ? 100k : 1M`) events from a pre-built pool of 10,000
 * (building them is not timed), flushes, then verifies the chain.
 * @example const { eventsPerSec } = benchAudit({ short: true });
 */
export function benchAudit({
  short = false,
  events = short ? 100_000 : 1_000_000,
  writer = 'inline',
}: {
  short?: boolean;
  events?: number;
  writer?: 'worker' | 'inline';
} = {}): AuditBenchResult {
  const dir = mkdtempSync(join(tmpdir(), 'cordon-bench-audit-'));
  try {
    const store = AuditStore.open({ dataDir: dir, writer });
    // A rotating pool, not `events` retained objects: a heap of a million live events would make
    // the benchmark measure V8's old-generation GC instead of the store.
    const pool = Array.from({ length: Math.min(events, 10_000) }, (_, i) => sampleEvent(i));
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    let longestAppendMs = 0;
    for (let i = 0; i < events; i++) {
      const before = performance.now();
      store.append(pool[i % pool.length]!);
      const took = performance.now() - before;
      if (took > longestAppendMs) longestAppendMs = took;
    }
    store.flush();
    const appendSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuStart);
    const verifyStart = process.hrtime.bigint();
    const check = verify(store);
    const verifySeconds = Number(process.hrtime.bigint() - verifyStart) / 1e9;
    store.close();
    return {
      events,
      appendSeconds,
      eventsPerSec: Math.round(events / appendSeconds),
      eventsPerCpuSec: Math.round(events / ((cpu.user + cpu.system) / 1e6)),
      loadAverage: loadavg()[0] ?? 0,
      verifySeconds,
      verified: check.ok && check.records === events,
      writer: store.writerMode.mode,
      longestAppendMs: Math.round(longestAppendMs * 100) / 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `benchAudit` in a Node process of its own (this module, compiled), as a store has in `cordon
 * serve`: in the suite's process, the heap and threads the proxy and monitor benchmarks leave
 * behind cost the store 15-20%. In-process when running from TypeScript source.
 */
export function benchAuditFresh(options: {
  short?: boolean;
  writer: 'worker' | 'inline';
}): AuditBenchResult & { process: 'own' | 'shared' } {
  const args = [...(options.short ? ['--short'] : []), `--${options.writer}`];
  const own = runInOwnProcess<AuditBenchResult>(import.meta.url, args);
  return own ? { ...own, process: 'own' } : { ...benchAudit(options), process: 'shared' };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const writer = process.argv.includes('--worker') ? 'worker' : 'inline';
  console.log(JSON.stringify(benchAudit({ short: process.argv.includes('--short'), writer })));
}
