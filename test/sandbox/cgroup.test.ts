/**
 * Sandbox cgroups on this host's real layout (hybrid on the build machines): limits written,
 * processes joined and counted, freeze/kill/remove, and leftovers of dead owners collected.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { collectLeftoverCgroups, createCgroup, parseCgroupName } from '../../src/sandbox/cgroup.js';
import { probeHost } from '../../src/sandbox/host.js';
import { terminateTree } from '../../src/sandbox/terminate.js';
import { alive } from './helpers.js';

const facts = probeHost().cgroup;
const LIMITS = { cpus: 0.5, memoryMB: 64, pids: 16 };
const hybrid = facts.layout === 'hybrid' || facts.layout === 'v1';

function joinCgroup(procsFiles: readonly string[]): number {
  // A process that joins the cgroup the way cordon-launch does, then waits.
  const child = spawn(
    'sh',
    ['-c', `for f in ${procsFiles.join(' ')}; do echo $$ > $f; done; sleep 30 & wait`],
    {
      stdio: 'ignore',
    },
  );
  return child.pid!;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe(`sandbox cgroup (${facts.layout})`, () => {
  test('writes the limits, counts joined processes, and kill + remove leaves nothing', async () => {
    const cg = createCgroup(`t${Date.now().toString(36)}`, LIMITS, facts);
    expect(parseCgroupName(cg.name)?.ownerPid).toBe(process.pid);
    for (const dir of cg.paths) expect(existsSync(dir)).toBe(true);
    if (cg.version === 'v1') {
      const dir = (ctl: string) => cg.paths.find((p) => p.includes(`/${ctl}/`))!;
      expect(readFileSync(join(dir('memory'), 'memory.limit_in_bytes'), 'utf8').trim()).toBe(
        String(64 << 20),
      );
      expect(readFileSync(join(dir('pids'), 'pids.max'), 'utf8').trim()).toBe('16');
      expect(readFileSync(join(dir('cpu'), 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('50000');
    }
    if (facts.unifiedRoot) {
      expect(cg.v2Id).toBe(statSync(cg.paths[cg.paths.length - 1]!).ino);
    }
    const pid = joinCgroup(cg.procsFiles);
    await until(() => cg.pids().length === 2);
    expect(cg.pids()).toContain(pid);
    const pids = cg.pids();
    await cg.freeze();
    cg.thaw();
    await cg.remove();
    expect(pids.filter(alive)).toEqual([]);
    for (const dir of cg.paths) expect(existsSync(dir)).toBe(false);
  });

  test('terminateTree sends SIGTERM first and SIGKILLs what ignores it after the grace period', async () => {
    const cg = createCgroup(`t${Date.now().toString(36)}b`, LIMITS, facts);
    const child = spawn(
      'sh',
      [
        '-c',
        `for f in ${cg.procsFiles.join(' ')}; do echo $$ > $f; done; trap "" TERM; sleep 30 & wait`,
      ],
      { stdio: 'ignore' },
    );
    await until(() => cg.pids().length === 2);
    const started = Date.now();
    const outcome = await terminateTree(cg, { graceMs: 300 });
    expect(outcome).toEqual({ terminated: 2, killed: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(cg.pids()).toEqual([]);
    expect(alive(child.pid!)).toBe(false);
    await cg.remove();
  });

  test.skipIf(!hybrid)('collects the cgroups of a dead owner and spares live ones', async () => {
    // pid 4194304+ never exists (above pid_max), so this owner is certainly dead.
    const dead = `4194999-1-leftover${Date.now().toString(36)}`;
    const dirs = Object.values(facts.v1Mounts).map((m) => join(m, 'cordon', dead));
    for (const d of dirs) mkdirSync(d, { recursive: true });
    const mine = createCgroup(`t${Date.now().toString(36)}c`, LIMITS, facts);
    const removed = await collectLeftoverCgroups(facts);
    expect(removed).toContain(dead);
    expect(removed).not.toContain(mine.name);
    for (const d of dirs) expect(existsSync(d)).toBe(false);
    for (const d of mine.paths) expect(existsSync(d)).toBe(true);
    await mine.remove();
  });
});
