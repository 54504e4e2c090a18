/**
 * Sandbox cgroups: one per sandbox, named after its owning cordon process so that leftovers of a
 * killed cordon can be found and removed at the next start. The layout-specific work lives in
 * cgroup-v2.ts (pure v2) and cgroup-v1.ts (v1 and hybrid); this module picks one and holds what
 * both share. Directories are made with fs calls, never helper processes (speed).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CordonError } from '../errors.js';
import {
  CORDON_DIR,
  killPidsUntilEmpty,
  removeDir,
  type CgroupLimits,
  type SandboxCgroup,
} from './cgroup-fs.js';
import { V1Cgroup } from './cgroup-v1.js';
import { V2Cgroup } from './cgroup-v2.js';
import type { CgroupFacts } from './host.js';

export type { CgroupLimits, CgroupUsage, LimitHits, SandboxCgroup } from './cgroup-fs.js';

/** `<owner pid>-<owner start time>-<sandbox id>`: enough to tell a dead owner from pid reuse. */
export function cgroupName(sandboxId: string): string {
  ownStartTime ??= processStartTime(process.pid) ?? 0;
  return `${process.pid}-${ownStartTime}-${sandboxId}`;
}
let ownStartTime: number | undefined;

export function parseCgroupName(name: string): { ownerPid: number; startTime: number } | null {
  const m = /^(\d+)-(\d+)-./.exec(name);
  return m ? { ownerPid: Number(m[1]), startTime: Number(m[2]) } : null;
}

/** Field 22 of /proc/<pid>/stat (clock ticks since boot), or null when the process is gone. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]);
  } catch {
    return null;
  }
}

/** The directories under which this layout keeps sandbox cgroups. */
export function cordonBases(facts: CgroupFacts): string[] {
  const bases = new Set<string>();
  if (facts.layout === 'v2' && facts.unifiedRoot) bases.add(join(facts.unifiedRoot, CORDON_DIR));
  if (facts.layout === 'v1' || facts.layout === 'hybrid') {
    for (const mount of Object.values(facts.v1Mounts)) bases.add(join(mount, CORDON_DIR));
    if (facts.unifiedRoot) bases.add(join(facts.unifiedRoot, CORDON_DIR));
  }
  return [...bases];
}

/**
 * Creates and limits a sandbox cgroup for this host's layout.
 * @example const cg = createCgroup('ab12', { cpus: 1, memoryMB: 512, pids: 128 }, probeHost().cgroup);
 */
export function createCgroup(
  sandboxId: string,
  limits: CgroupLimits,
  facts: CgroupFacts,
): SandboxCgroup {
  const name = cgroupName(sandboxId);
  switch (facts.layout) {
    case 'v2':
      return V2Cgroup.create(name, limits, facts);
    case 'v1':
    case 'hybrid':
      return V1Cgroup.create(name, limits, facts);
    case 'none':
      throw new CordonError('CORDON_E_HOST_UNSUPPORTED', 'No cgroup hierarchy is mounted', {
        details: { hint: 'mount cgroup2 at /sys/fs/cgroup (or the v1 controllers)' },
      });
  }
}

/**
 * Kills and removes the cgroups of sandboxes whose cordon process is gone (killed with SIGKILL,
 * host crash). Call at start. Returns the names removed.
 */
export async function collectLeftoverCgroups(facts: CgroupFacts): Promise<string[]> {
  const stale = new Set<string>();
  for (const base of cordonBases(facts)) {
    for (const name of listDirs(base)) {
      const owner = parseCgroupName(name);
      if (!owner) continue;
      const alive = processStartTime(owner.ownerPid);
      if (alive !== null && (owner.startTime === 0 || alive === owner.startTime)) continue;
      stale.add(name);
    }
  }
  for (const name of stale) {
    const dirs = cordonBases(facts)
      .map((b) => join(b, name))
      .filter((d) => existsSync(d));
    await killPidsUntilEmpty(dirs);
    for (const dir of dirs) await removeDir(dir);
  }
  return [...stale];
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}
