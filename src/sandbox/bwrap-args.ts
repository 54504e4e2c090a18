/**
 * The full bubblewrap argv for one sandbox: namespaces, identity, capabilities, environment,
 * mounts, and the cordon-init command line (one-shot or server mode). Pure.
 */
import { buildMountArgs, INIT_PATH, WORKSPACE_DIR, type MountInput } from './mounts.js';

/** The unprivileged identity every sandboxed program runs as. */
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
/** The fds cordon-init reads and writes, as the spawner lays them out. */
export const EVENTS_FD = 3;
export const CONTROL_FD = 4;

export interface BwrapArgsInput extends MountInput {
  userNamespaces: boolean;
  /** The sandbox joins a prepared network namespace (cordon-launch --netns) instead of a new one. */
  sharedNetns: boolean;
  /** Keep the caller's terminal: no --new-session (which would break job control). */
  tty: boolean;
  env: Readonly<Record<string, string>>;
  /** One-shot: the command cordon-init runs. Server mode (live sandbox): absent. */
  argv?: readonly string[] | undefined;
}

/**
 * @example buildBwrapArgs({ ...mountInput, userNamespaces: true, sharedNetns: false, tty: false,
 *   env: { PATH: '/usr/bin' }, argv: ['sh', '-c', 'id'] })
 */
export function buildBwrapArgs(input: BwrapArgsInput): string[] {
  const args = ['--die-with-parent'];
  if (input.userNamespaces) {
    args.push('--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_GID));
  }
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup');
  if (!input.sharedNetns) args.push('--unshare-net');
  args.push('--hostname', 'cordon', '--as-pid-1', '--cap-drop', 'ALL');
  // A new session stops TIOCSTI-style injection into the caller's terminal; with a tty the
  // seccomp filter denies TIOCSTI instead and the terminal keeps job control.
  if (!input.tty) args.push('--new-session');
  args.push('--chdir', WORKSPACE_DIR, '--clearenv');
  for (const [name, value] of Object.entries(input.env)) args.push('--setenv', name, value);
  args.push(...buildMountArgs(input));
  args.push(INIT_PATH, '--events', String(EVENTS_FD));
  if (input.argv) args.push('--', ...input.argv);
  else args.push('--control', String(CONTROL_FD));
  return args;
}
