import { describe, expect, test } from 'vitest';
import { EventBus, type CordonEvent } from '../events/index.js';
import { resolvePolicy } from '../policy/index.js';
import { Detector } from './detector.js';
import { T0, exec, file, flow, sample, sh } from './test-kit.js';

/** A benign, exec-heavy mix (a build) with a few rogue events, as the monitor would send it. */
function workload(n: number): CordonEvent[] {
  const out: CordonEvent[] = [];
  for (let i = 0; i < n; i += 1) {
    const ts = T0 + i;
    switch (i % 8) {
      case 0:
        out.push(
          sh(`gcc -O2 -c src/file${i}.c -o build/file${i}.o && echo ok`, {
            pid: 1000 + i,
            ppid: 999,
            ts,
          }),
        );
        break;
      case 1:
        out.push(
          exec(['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '-quiet', `src/file${i}.c`], {
            pid: 1000 + i,
            ppid: 999,
            ts,
          }),
        );
        break;
      case 2:
        out.push(file(`/workspace/.ssh/known_hosts`, { pid: 1000 + i, ts }));
        break;
      case 3:
        out.push(
          flow({
            host: `h${i % 50}.test`,
            port: 443,
            pid: 1000 + i,
            ts,
            decision: i % 80 === 3 ? 'deny' : 'allow',
          }),
        );
        break;
      case 4:
        out.push(sample(1.5, false, ts));
        break;
      default:
        out.push(exec(['make', '-j2', `target${i}`], { pid: 1000 + i, ppid: 999, ts }));
    }
  }
  return out;
}

describe('detector speed', () => {
  // The machine is shared (load often far above its 2 cores): rate is measured on CPU time and
  // the bound is on the median; the p99 is printed, not asserted.
  test('handles a build-like event stream at over 5k events/s of CPU, median under 0.2 ms', () => {
    const detector = new Detector({
      bus: new EventBus(),
      policyFor: () => resolvePolicy({}),
      responderFor: () => undefined,
    });
    const events = workload(20_000).map((e) => ({ ...e, sandboxId: 'speed' }));
    const times: number[] = [];
    const cpuStart = process.cpuUsage();
    for (const e of events) {
      const t = performance.now();
      detector.observe(e);
      times.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpuStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    times.sort((a, b) => a - b);
    const p50 = times[times.length >> 1]!;
    const p99 = times[Math.floor(times.length * 0.99)]!;
    const perCpuSecond = Math.round(events.length / (cpuMs / 1000));
    console.log(
      `detector: ${perCpuSecond} events per CPU-second, p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms (wall)`,
    );
    expect(perCpuSecond).toBeGreaterThan(5_000);
    expect(p50).toBeLessThan(0.2);
  });
});
