/**
 * The sandbox's filesystem view as bubblewrap mount arguments: a tmpfs root with the host's
 * top-level directories bound read-only, fresh /proc, minimal /dev, reduced /sys, private /tmp and
 * /run, the workspace at /workspace, `allowWrite` binds and `denyRead` masks. `buildMountArgs` is
 * pure; the two `resolve*` helpers do the host lookups it needs.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CordonError, ValidationError, type Problem } from '../errors.js';
import { SANDBOX_INIT_PATH } from '../events/index.js';
import type { Policy } from '../policy/index.js';
import type { HostFacts } from './host.js';
import type { ExtraBind } from './types.js';

export const WORKSPACE_DIR = '/workspace';
export const INIT_PATH = SANDBOX_INIT_PATH;

/** Top-level host directories never bound: the sandbox gets its own, or they are cordon's. */
const NOT_BOUND = new Set(['proc', 'sys', 'dev', 'tmp', 'run', 'workspace', '.cordon']);
/** Paths the sandbox never sees from the host, so a denyRead entry under them needs no mask. */
const PRIVATE_TREES = ['/proc', '/sys', '/dev', '/tmp', '/run'];

/**
 * Root-only secrets hidden whatever the policy says. With a user namespace run by root the
 * sandbox uid maps to host root, so file modes alone do not protect these (backup copies of
 * shadow files, debconf's stored passwords, TLS private keys).
 */
export const HOST_SECRETS = [
  '/etc/shadow-',
  '/etc/gshadow-',
  '/etc/security/opasswd',
  '/etc/ssl/private',
  '/var/cache/debconf/passwords.dat',
  '/var/lib/sss',
] as const;

export interface DenyEntry {
  /** Host path after `~` expansion and symlink resolution; masked at the same path inside. */
  path: string;
  kind: 'dir' | 'file';
}

export interface MountInput {
  policy: Policy;
  host: Pick<HostFacts, 'rootEntries' | 'gpuNodes'>;
  /** Host directory bound read-write at /workspace. */
  workspace: string;
  /** Host path of the cordon-init binary. */
  initBinary: string;
  /** From `resolveDenyRead`. */
  deny: readonly DenyEntry[];
  /** From `resolveAllowWrite`. */
  allowWrite: readonly string[];
  /** A resolv.conf bound at /etc/resolv.conf (the network layer's DNS). */
  resolvConfPath?: string | undefined;
  /** Extra binds (read-only unless `readOnly: false`). */
  extraBinds?: readonly ExtraBind[] | undefined;
}

export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

function underAny(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(`${r}/`));
}

/**
 * Expands and resolves each denyRead pattern that exists on the host. A path under a tree the
 * sandbox gets fresh (/tmp, /run, ...) or under another masked directory needs no mask; a
 * dangling one hides nothing.
 */
export function resolveDenyRead(patterns: readonly string[], home: string): DenyEntry[] {
  const out = new Map<string, DenyEntry>();
  for (const pattern of patterns) {
    const expanded = expandHome(pattern, home);
    if (!isAbsolute(expanded)) continue;
    let real: string;
    let isDir: boolean;
    try {
      // Most entries name nothing on a given host: a stat that returns undefined for those is
      // cheaper than the exception a realpath throws (every sandbox start resolves them all).
      const st = statSync(expanded, { throwIfNoEntry: false });
      if (st === undefined) continue; // absent, or a dangling link: hides nothing
      real = realpathSync.native(expanded);
      isDir = st.isDirectory();
    } catch {
      continue;
    }
    if (underAny(real, PRIVATE_TREES) || real === '/') continue;
    out.set(real, { path: real, kind: isDir ? 'dir' : 'file' });
  }
  const entries = [...out.values()].sort((a, b) => a.path.localeCompare(b.path));
  // Inside a masked directory there is nothing left to mask (and its tmpfs is read-only).
  const dirs = entries.filter((e) => e.kind === 'dir').map((e) => e.path);
  return entries.filter((e) => !dirs.some((d) => e.path.startsWith(`${d}/`)));
}

/** Expands and resolves each allowWrite path; every one must exist (fail closed, with its path). */
export function resolveAllowWrite(patterns: readonly string[], home: string): string[] {
  const problems: Problem[] = [];
  const out: string[] = [];
  patterns.forEach((pattern, i) => {
    const expanded = expandHome(pattern, home);
    try {
      lstatSync(expanded);
      out.push(realpathSync(expanded));
    } catch {
      problems.push({ path: `filesystem.allowWrite.${i}`, message: `${expanded} does not exist` });
    }
  });
  if (problems.length) throw new ValidationError('CORDON_E_POLICY_INVALID', problems);
  return out;
}

/**
 * Builds the mount part of the bwrap argv. Later mounts win, so masks come last: a denyRead path
 * stays hidden even inside an allowWrite directory.
 * @example buildMountArgs({ policy, host: probeHost(), workspace, initBinary, deny: [], allowWrite: [] })
 */
export function buildMountArgs(input: MountInput): string[] {
  const { policy, host } = input;
  const args: string[] = [];
  for (const entry of host.rootEntries) {
    if (NOT_BOUND.has(entry.name)) continue;
    const path = `/${entry.name}`;
    if (entry.kind === 'dir') args.push('--ro-bind', path, path);
    else if (entry.kind === 'symlink' && entry.target) args.push('--symlink', entry.target, path);
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  if (policy.devices.gpu) {
    // /dev/net/tun is never granted: it is a network escape, not a GPU.
    for (const node of host.gpuNodes) args.push('--dev-bind-try', node, node);
  }
  const tmpBytes = String(policy.resources.tmpMB * 1024 * 1024);
  args.push('--perms', '1777', '--size', tmpBytes, '--tmpfs', '/tmp');
  args.push('--tmpfs', '/sys');
  args.push('--ro-bind-try', '/sys/devices/system/cpu', '/sys/devices/system/cpu');
  args.push('--remount-ro', '/sys');
  args.push('--tmpfs', '/run');
  args.push('--bind', input.workspace, WORKSPACE_DIR);
  for (const path of input.allowWrite) args.push('--bind', path, path);
  if (input.resolvConfPath) args.push('--ro-bind', input.resolvConfPath, '/etc/resolv.conf');
  for (const bind of input.extraBinds ?? []) {
    if (!isAbsolute(bind.target) || bind.target === '/' || bind.target === WORKSPACE_DIR) {
      throw new CordonError('CORDON_E_USAGE', `Bad bind target ${bind.target}`);
    }
    args.push(bind.readOnly === false ? '--bind' : '--ro-bind', bind.host, bind.target);
  }
  for (const entry of input.deny) {
    if (entry.kind === 'dir') args.push('--tmpfs', entry.path, '--remount-ro', entry.path);
    else args.push('--ro-bind', '/dev/null', entry.path);
  }
  args.push('--ro-bind', input.initBinary, INIT_PATH);
  args.push('--remount-ro', '/');
  return args;
}
