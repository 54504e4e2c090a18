/**
 * Ending process trees inside a sandbox: the whole sandbox (SIGTERM to every process, SIGKILL
 * after a grace period, then verify the cgroup is empty) or one process and its descendants
 * (a responder's `kill` action), stopped first so that nothing forks away meanwhile.
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
 *
 * The tree is stopped, not frozen: SIGSTOP is pending in each process before the call returns,
 * and a pending signal makes fork fail (the kernel restarts it after), so once every pid of the
 * tree has it no new child can appear; a child forked just before stays linked to its stopped
 * parent, so listing again until nothing new shows up closes the tree. Then SIGKILL, which a
 * stopped process obeys at once. The v1 freezer it replaces held a killed process until the
 * thaw, and freezing waits on every task of the sandbox and a host-wide lock: tens of ms on a
 * busy host, 1 s (the cap) when one task was slow to freeze, all that time the miner ran.
 */
export async function killProcessTree(cgroup: SandboxCgroup, hostPid: number): Promise<number[]> {
  let pids = cgroup.pids();
  if (!pids.includes(hostPid)) return [];
  const stopped = new Set<number>();
  let fresh = [hostPid];
  // Bounded: each round stops at least one more pid, and the sandbox's pids are limited.
  for (let round = 0; fresh.length > 0 && round < 1000; round++) {
    for (const pid of fresh) if (signalPid(pid, 'SIGSTOP')) stopped.add(pid);
    pids = cgroup.pids();
    fresh = descendantsOf(stopped, pids).filter((pid) => !stopped.has(pid) && pids.includes(pid));
  }
  return Promise.resolve([...stopped].filter((pid) => signalPid(pid, 'SIGKILL')));
}

/** Every pid of `pids` below one of `roots` (the roots excluded), by parent links. */
function descendantsOf(roots: ReadonlySet<number>, pids: readonly number[]): number[] {
  const parents = new Map(pids.map((p) => [p, parentPid(p)]));
  const tree = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (ppid !== null && tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree].filter((pid) => !roots.has(pid));
}
