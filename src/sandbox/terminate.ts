/**
 * Ending process trees inside a sandbox: the whole sandbox (SIGTERM to every process, SIGKILL
 * after a grace period, then verify the cgroup is empty) or one process and its descendants
 * (a responder's `kill` action), with the cgroup frozen so nothing forks away meanwhile.
 */
import { readFileSync } from 'node:fs';
import { signalPid, waitFor, type SandboxCgroup } from './cgroup-fs.js';

export const DEFAULT_GRACE_MS = 2000;

export interface TerminateOptions {
  /** Time between SIGTERM and SIGKILL. */
  graceMs?: number;
  /**
   * Pids spared the SIGTERM (bubblewrap's host-side monitor: it would take the sandbox down with
   * SIGKILL at once, denying the command its grace period). SIGKILL spares nobody.
   */
  spare?: readonly number[];
}

export interface TerminateOutcome {
  /** Processes that received SIGTERM. */
  terminated: number;
  /** True when the grace period ran out and SIGKILL was needed. */
  killed: boolean;
}

/**
 * Ends every process of a sandbox and returns once its cgroup is empty.
 * @example await terminateTree(cgroup, { graceMs: 2000, spare: [bwrapPid] })
 */
export async function terminateTree(
  cgroup: SandboxCgroup,
  options: TerminateOptions = {},
): Promise<TerminateOutcome> {
  const spare = new Set(options.spare ?? []);
  let terminated = 0;
  for (const pid of cgroup.pids()) {
    if (!spare.has(pid) && signalPid(pid, 'SIGTERM')) terminated += 1;
  }
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const empty =
    terminated === 0 ? false : await waitFor(() => cgroup.pids().length === 0, graceMs, 5);
  if (empty) return { terminated, killed: false };
  await cgroup.kill();
  return { terminated, killed: true };
}

/** Parent pid from /proc/<pid>/stat, or null when the process is gone. */
export function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** `root` and every descendant of it among `pids` (host pids). */
export function descendants(root: number, pids: readonly number[]): number[] {
  const parents = new Map(pids.map((p) => [p, parentPid(p)]));
  const out = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (ppid !== null && out.has(ppid) && !out.has(pid)) {
        out.add(pid);
        grew = true;
      }
    }
  }
  return [...out];
}

/**
 * SIGKILLs one process of the sandbox and its descendants; the rest of the sandbox lives on.
 * Returns the pids signalled (empty when `hostPid` is not in the sandbox).
 */
export async function killProcessTree(cgroup: SandboxCgroup, hostPid: number): Promise<number[]> {
  if (!cgroup.pids().includes(hostPid)) return [];
  await cgroup.freeze();
  try {
    const victims = descendants(hostPid, cgroup.pids());
    return victims.filter((pid) => signalPid(pid, 'SIGKILL'));
  } finally {
    cgroup.thaw();
  }
}
