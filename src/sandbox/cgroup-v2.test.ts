import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cpuMaxValue, V2Cgroup } from './cgroup-v2.js';
import type { CgroupFacts } from './host.js';

// A plain directory standing in for a cgroup2 mount: the v2 code paths run on machines whose
// real layout is hybrid (the build machines), where a true v2 test cannot run.
const root = mkdtempSync(join(tmpdir(), 'cordon-fake-cgroup2-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const facts: CgroupFacts = {
  layout: 'v2',
  unifiedRoot: root,
  v1Mounts: {},
  controllers: ['cpu', 'memory', 'pids'],
};

describe('V2Cgroup (fake cgroup2 tree)', () => {
  test('enables the wanted controllers at the root, reads counters and removes its directory', async () => {
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(join(root, 'cgroup.subtree_control'), 'cpu\n');
    const cg = V2Cgroup.create('1-2-abc', { cpus: 1, memoryMB: 64, pids: 16 }, facts);
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +pids');
    expect(cg.paths).toEqual([join(root, 'cordon', '1-2-abc')]);
    expect(cg.procsFiles).toEqual([join(root, 'cordon', '1-2-abc', 'cgroup.procs')]);
    expect(cg.v2Id).toBeGreaterThan(0);
    const dir = cg.paths[0]!;
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 2500\nuser_usec 2000\n');
    writeFileSync(join(dir, 'memory.peak'), '1048576\n');
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    writeFileSync(join(dir, 'pids.events'), 'max 7\n');
    expect(cg.usage()).toEqual({
      cpuMs: 3,
      peakMemoryBytes: 1048576,
      oomKills: 1,
      pidsLimitHits: 7,
      peakPids: 0,
    });
    expect(cg.pids()).toEqual([]);
    rmSync(dir, { recursive: true });
    await cg.remove(); // already gone: ENOENT is success
  });

  test('cpu.max from cores, with a floor the kernel accepts', () => {
    expect(cpuMaxValue(1)).toBe('100000 100000');
    expect(cpuMaxValue(0.25)).toBe('25000 100000');
    expect(cpuMaxValue(0.001)).toBe('1000 100000');
  });
});
