/** Shared fixtures for sandbox tests: effect checks on the host (leftovers, processes). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeHost } from '../../src/sandbox/index.js';

/** Every cgroup directory on this host whose name ends with the sandbox id. */
export function cgroupDirsOf(sandboxId: string): string[] {
  const { cgroup } = probeHost();
  const roots = [
    ...Object.values(cgroup.v1Mounts),
    ...(cgroup.unifiedRoot ? [cgroup.unifiedRoot] : []),
  ];
  const out: string[] = [];
  for (const root of new Set(roots)) {
    const base = join(root, 'cordon');
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base))
      if (name.endsWith(`-${sandboxId}`)) out.push(join(base, name));
  }
  return out;
}

/** Temp workspaces cordon made for this sandbox that still exist. */
export function workspacesOf(sandboxId: string): string[] {
  return readdirSync(tmpdir())
    .filter((n) => n.startsWith('cordon-ws-') && n.endsWith(`-${sandboxId}`))
    .map((n) => join(tmpdir(), n));
}

/** True while the pid names a live (non-zombie) process. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Asserts-by-value helper: what a sandbox left behind (empty lists when clean). */
export function leftovers(sandboxId: string): { cgroups: string[]; workspaces: string[] } {
  return { cgroups: cgroupDirsOf(sandboxId), workspaces: workspacesOf(sandboxId) };
}

export const NOTHING_LEFT = { cgroups: [], workspaces: [] };
