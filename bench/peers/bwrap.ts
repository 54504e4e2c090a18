/**
 * The bare peers: plain `true` (what spawning costs at all) and bare bubblewrap with the same
 * namespaces cordon unshares (`--unshare-all`) but none of cordon's work: no seccomp supervisor,
 * no cgroups, no workspace, no network, no monitoring.
 */
export const BWRAP_ARGV: readonly string[] = [
  'bwrap',
  '--ro-bind',
  '/',
  '/',
  '--dev',
  '/dev',
  '--proc',
  '/proc',
  '--unshare-all',
  '--die-with-parent',
];

/** argv running `cmd` under bare bwrap. */
export function bwrapArgv(cmd: readonly string[]): string[] {
  return [...BWRAP_ARGV, ...cmd];
}

export const TRUE_ARGV: readonly string[] = ['true'];
