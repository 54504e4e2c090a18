/**
 * The responder handle of a running sandbox: what detection (and the one-shot timeout) may do to
 * it — kill one process tree, freeze, thaw, or end everything with a grace period.
 */
import type { LauncherProcess } from './fast-spawn.js';
import type { PreparedSandbox } from './launch.js';
import { killProcessTree, terminateTree } from './terminate.js';
import type { SandboxHandle } from './types.js';

export interface InternalHandle extends SandboxHandle {
  /** End every process (SIGTERM, grace, SIGKILL) without calling it a policy decision. */
  end(): Promise<void>;
}

export function makeHandle(
  prep: PreparedSandbox,
  launcher: LauncherProcess,
  graceMs: number | undefined,
  onPolicyAction: (reason: string) => void,
): InternalHandle {
  const { cgroup } = prep;
  let ending: Promise<void> | undefined;
  const end = (): Promise<void> => {
    // bwrap's host-side process is spared the SIGTERM: its death would SIGKILL the sandbox at once.
    const spare = launcher.pid === undefined ? [] : [launcher.pid];
    // A frozen sandbox cannot act on SIGTERM; thawing first gives it its grace period.
    if (!ending) cgroup.thaw();
    ending ??= terminateTree(cgroup, { ...(graceMs === undefined ? {} : { graceMs }), spare }).then(
      () => undefined,
    );
    return ending;
  };
  return {
    sandboxId: prep.sandboxId,
    cgroup: { version: cgroup.version, paths: cgroup.paths, v2Id: cgroup.v2Id },
    hostPids: () => cgroup.pids(),
    killTree: async (hostPid) => {
      const killed = await killProcessTree(cgroup, hostPid);
      if (killed.length) onPolicyAction(`process ${hostPid} killed by policy`);
      return killed;
    },
    freeze: () => cgroup.freeze(),
    thaw: () => cgroup.thaw(),
    terminate: (reason) => {
      onPolicyAction(reason);
      return end();
    },
    end,
  };
}
