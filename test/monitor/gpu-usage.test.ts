/**
 * GPU accounting: the CPU sampler's resource samples carry the GPU memory a sandbox's processes
 * hold, summed over exactly the pids in its cgroup. No GPU exists here, so nvidia-smi is a
 * stand-in that prints what the real one prints for `--query-compute-apps=pid,used_memory
 * --format=csv,noheader,nounits` (the real one runs in scripts/gpu-check.sh on a GPU host).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import type { ResourceSampleEvent } from '../../src/events/index.js';
import { EventBus } from '../../src/events/index.js';
import { cgroup2Root, CpuSampler, GpuUsage, parseComputeApps } from '../../src/monitor/index.js';
import { isRoot, makeCgroup } from './helpers.js';

const MIB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'cordon-gpu-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An nvidia-smi that prints the lines of `file` (rewritten by the test), and logs its argv. */
function fakeNvidiaSmi(): { path: string; report: (lines: string) => void; argvLog: string } {
  const path = join(dir, 'nvidia-smi');
  const file = join(dir, 'apps.csv');
  const argvLog = join(dir, 'argv.log');
  writeFileSync(file, '');
  writeFileSync(path, `#!/bin/sh\necho "$@" >> '${argvLog}'\ncat '${file}'\n`);
  chmodSync(path, 0o755);
  return { path, report: (lines) => writeFileSync(file, lines), argvLog };
}

describe('parseComputeApps', () => {
  test('reads pid and MiB per line, sums a pid on several GPUs, skips what is not a pair', () => {
    const parsed = parseComputeApps(
      '685, 1386\n  42 ,  10 \n685, 14\n[N/A], 5\n7, [N/A]\nNo devices\n0, 3\n',
    );
    expect([...parsed]).toEqual([
      [685, 1400 * MIB],
      [42, 10 * MIB],
    ]);
  });

  test('never throws and never yields a bad figure on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        for (const [pid, bytes] of parseComputeApps(text)) {
          expect(Number.isSafeInteger(pid) && pid > 0).toBe(true);
          expect(Number.isFinite(bytes) && bytes >= 0).toBe(true);
        }
      }),
    );
  });
});

describe.skipIf(!isRoot || !cgroup2Root())(
  'GPU accounting in resource samples (needs root and cgroup2)',
  () => {
    const children: ChildProcess[] = [];
    let cg: ReturnType<typeof makeCgroup> | undefined;
    afterEach(async () => {
      for (const c of children.splice(0)) c.kill('SIGKILL');
      await cg?.remove();
    });

    test("sums the GPU memory of the sandbox's own pids only, and only while GPU-granted sandboxes are watched", async () => {
      cg = makeCgroup('gpu');
      const inside = spawn('/bin/sh', ['-c', `echo $$ > '${cg.procs}'; exec sleep 30`]);
      const outside = spawn('sleep', ['30']);
      children.push(inside, outside);
      await new Promise((r) => setTimeout(r, 100));
      const smi = fakeNvidiaSmi();
      smi.report(`${inside.pid}, 1386\n${outside.pid}, 5000\n`);
      const gpu = new GpuUsage({ nvidiaSmi: smi.path, intervalMs: 60_000 });
      const bus = new EventBus();
      const sampler = new CpuSampler({ bus, intervalMs: 60_000, gpu });
      const target = { cpuStatPath: cg.dir, cgroupProcsPath: cg.procs };
      const offPlain = sampler.watch({
        ...target,
        sandboxId: 'sb-plain',
        attribution: () => ({ sandboxId: 'sb-plain' }),
      });
      const offGpu = sampler.watch({
        ...target,
        sandboxId: 'sb-gpu',
        gpu: true,
        attribution: () => ({ sandboxId: 'sb-gpu' }),
      });
      await gpu.refresh();
      const granted = sampler.sample('sb-gpu') as ResourceSampleEvent;
      const plain = sampler.sample('sb-plain') as ResourceSampleEvent;
      expect(granted.gpuMemoryBytes).toBe(1386 * MIB);
      expect(plain.gpuMemoryBytes).toBeUndefined();
      expect(gpu.live).toBe(true);

      smi.report(`${outside.pid}, 5000\n`); // the sandbox's process let go of the GPU
      await gpu.refresh();
      expect((sampler.sample('sb-gpu') as ResourceSampleEvent).gpuMemoryBytes).toBe(0);

      offGpu();
      const readsWhenReleased = gpu.reads;
      await new Promise((r) => setTimeout(r, 50));
      expect(gpu.reads).toBe(readsWhenReleased);
      offPlain();
    });

    test('a failing nvidia-smi is reported as such, and polling is one process at a time', async () => {
      const broken = join(dir, 'broken-smi');
      writeFileSync(broken, '#!/bin/sh\nsleep 0.2; echo "NVIDIA-SMI has failed" >&2; exit 9\n');
      chmodSync(broken, 0o755);
      const gpu = new GpuUsage({ nvidiaSmi: broken, intervalMs: 10 });
      const release = gpu.acquire();
      await new Promise((r) => setTimeout(r, 300));
      release();
      expect(gpu.live).toBe(false);
      expect(gpu.failures).toBeGreaterThanOrEqual(1);
      // 10 ms ticks over 300 ms, but each read takes 200 ms and none overlaps.
      expect(gpu.failures).toBeLessThanOrEqual(2);
      expect(gpu.lastError).toMatch(/Command failed/);
    });
  },
);
