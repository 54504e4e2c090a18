/**
 * The unprivileged host identity a sandbox runs as when cordon runs as root. bwrap maps the
 * sandbox's uid 1000 onto the uid that starts it: started by root, every root-owned 0600 file not
 * hidden by the policy would be readable inside. So cordon-launch drops to a uid of its own (from a
 * range no real account uses), the workspace is handed to that uid for the run, and files the
 * sandbox must read (the init binary) are made reachable to it.
 */
import { randomInt } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface HostUser {
  uid: number;
  gid: number;
  /** Supplementary groups (video/render when the GPU is granted). */
  groups: number[];
}

/** Far above real accounts and the usual subuid ranges (100000-165535 per user). */
export const SANDBOX_UID_BASE = 2_100_000_000;
const SANDBOX_UID_SPAN = 1 << 20;

function groupIds(names: readonly string[]): number[] {
  try {
    return readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .filter((f) => names.includes(f[0] ?? ''))
      .map((f) => Number(f[2]))
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

/** A fresh identity for one sandbox, or null when cordon is not root (bwrap then runs as the caller). */
export function sandboxHostUser(gpu: boolean): HostUser | null {
  if (process.getuid?.() !== 0) return null;
  const id = SANDBOX_UID_BASE + randomInt(SANDBOX_UID_SPAN);
  return { uid: id, gid: id, groups: gpu ? groupIds(['video', 'render']) : [] };
}

export function userSpec(user: HostUser): string {
  return [user.uid, user.gid, ...(user.groups.length ? [user.groups.join(',')] : [])].join(':');
}

function chownTree(path: string, uid: number, gid: number): void {
  const st = lstatSync(path);
  // Never follow links: a link planted in a workspace must not hand a host file to the sandbox.
  if (st.isSymbolicLink()) return;
  chownSync(path, uid, gid);
  if (st.isDirectory())
    for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

/**
 * Hands a directory tree to the sandbox's identity; the returned function gives it back to the owner
 * its root had before (the whole tree, including what the sandbox created).
 */
export function grantTree(path: string, user: HostUser): () => void {
  const before = statSync(path);
  chownTree(path, user.uid, user.gid);
  return () => {
    try {
      chownTree(path, before.uid, before.gid);
    } catch {
      // Removed meanwhile: nothing to give back.
    }
  };
}

/**
 * Whether a uid that owns nothing on the host can search `dir` and every directory above it.
 * `memo` (one per sandbox start) remembers each directory's answer: most paths asked about share
 * their ancestors (`/`, `/etc`), and each stat is a syscall.
 */
export function searchableByOthers(dir: string, memo?: Map<string, boolean>): boolean {
  const d = resolve(dir);
  const known = memo?.get(d);
  if (known !== undefined) return known;
  let searchable: boolean;
  try {
    searchable =
      (statSync(d).mode & 0o001) !== 0 && (d === '/' || searchableByOthers(dirname(d), memo));
  } catch {
    searchable = false;
  }
  memo?.set(d, searchable);
  return searchable;
}

function reachableByOthers(path: string): boolean {
  try {
    return (statSync(path).mode & 0o005) === 0o005 && searchableByOthers(dirname(path));
  } catch {
    return false;
  }
}

/** Where cordon-launch stages unreachable bind sources, in a mount namespace of its own. */
export const STAGE_ROOT = '/run/cordon/stage';

/**
 * Rewrites `--bind SRC DEST` / `--ro-bind SRC DEST` whose SRC lies under a directory the sandbox's
 * uid cannot search (a workspace under a 0700 home) to read from STAGE_ROOT/N, where cordon-launch
 * binds SRC (as root, in a private mount namespace) before dropping to that uid.
 */
export function stageUnreachable(
  args: readonly string[],
  searchable = new Map<string, boolean>(),
): { args: string[]; stages: string[] } {
  const out: string[] = [];
  const stages: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const op = args[i];
    const src = args[i + 1];
    const dest = args[i + 2];
    if (
      (op === '--bind' || op === '--ro-bind') &&
      src !== undefined &&
      dest !== undefined &&
      // Most sources share their parent ('/' for the host's top-level directories): the memoized
      // parent test first, so that only a source under an unsearchable one costs a stat.
      !searchableByOthers(dirname(src), searchable) &&
      exists(src)
    ) {
      out.push(op, `${STAGE_ROOT}/${stages.length}`, dest);
      stages.push(src);
      i += 2;
      continue;
    }
    if (op !== undefined) out.push(op);
  }
  if (stages.length) {
    mkdirSync(STAGE_ROOT, { recursive: true, mode: 0o755 });
    chmodSync('/run/cordon', 0o755);
  }
  return { args: out, stages };
}

function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

const REACHABLE_DIR = '/run/cordon/bin';

/**
 * A path to `file` that an unprivileged uid can read and execute: the file itself when every
 * directory above it is searchable, else a copy under /run/cordon/bin (e.g. cordon checked out in /root).
 */
export function reachablePath(file: string): string {
  if (reachableByOthers(file)) return file;
  mkdirSync(REACHABLE_DIR, { recursive: true, mode: 0o755 });
  chmodSync('/run/cordon', 0o755);
  chmodSync(REACHABLE_DIR, 0o755);
  const copy = join(REACHABLE_DIR, basename(file));
  copyFileSync(file, copy);
  chmodSync(copy, 0o755);
  return copy;
}
