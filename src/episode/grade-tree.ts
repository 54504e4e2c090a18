/**
 * Host-side views of a workspace that never follow the agent's symlinks: a bounded walk, content
 * digests, a verbatim copy (symlinks stay links, devices and fifos are dropped), and the built-in
 * `expected-tree` check.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import type { ExpectedEntry } from './task-schema.js';

export interface TreeEntry {
  /** Relative to the walked root, `/`-separated. */
  path: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  size: number;
}

const DEFAULT_LIMIT = 20_000;

function kindOf(st: Stats): TreeEntry['kind'] {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  return 'other';
}

/** Every entry under `root` (root itself excluded), lstat only, at most `limit` entries. */
export function walkTree(root: string, limit = DEFAULT_LIMIT): TreeEntry[] {
  const out: TreeEntry[] = [];
  const visit = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(rel ? join(root, rel) : root).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (out.length >= limit) return;
      const path = rel ? `${rel}/${name}` : name;
      let st: Stats;
      try {
        st = lstatSync(join(root, path));
      } catch {
        continue;
      }
      const entry: TreeEntry = { path, kind: kindOf(st), mode: st.mode & 0o7777, size: st.size };
      out.push(entry);
      if (entry.kind === 'dir') visit(path);
    }
  };
  visit('');
  return out;
}

/** A digest of what an entry is: content for files, target for links (never followed). */
export function digestOf(root: string, entry: TreeEntry): string {
  const full = join(root, entry.path);
  try {
    switch (entry.kind) {
      case 'file':
        return `file:${createHash('sha256').update(readFileSync(full)).digest('hex')}`;
      case 'symlink':
        return `link:${readlinkSync(full)}`;
      case 'dir':
        return 'dir';
      case 'other':
        return 'other';
    }
  } catch {
    return 'unreadable';
  }
}

/**
 * Copies `src` into `dst` as it is now: files by content, symlinks verbatim (so a link to a host
 * file does not pull that file in), directories; fifos, sockets and devices are dropped.
 */
export function copyTree(src: string, dst: string, skip: (path: string) => boolean = () => false) {
  mkdirSync(dst, { recursive: true, mode: 0o755 });
  for (const entry of walkTree(src, 200_000)) {
    if (skip(entry.path)) continue;
    const from = join(src, entry.path);
    const to = join(dst, entry.path);
    try {
      if (entry.kind === 'dir') mkdirSync(to, { recursive: true, mode: 0o755 });
      else if (entry.kind === 'file') {
        copyFileSync(from, to);
        chmodSync(to, entry.mode & 0o777);
      } else if (entry.kind === 'symlink') symlinkSync(readlinkSync(from), to);
    } catch {
      // A file that vanished mid-copy (a straggler deleting it) is simply not graded.
    }
  }
}

/**
 * Removes `rel` under `root` without following any symlink on the way: a parent that is a link
 * or a file is removed instead (a copied symlink may point at a host path).
 */
export function removeNoFollow(root: string, rel: string): void {
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const full = join(root, ...parts.slice(0, i));
    let st: Stats;
    try {
      st = lstatSync(full);
    } catch {
      return;
    }
    if (i === parts.length || !st.isDirectory()) {
      rmSync(full, { recursive: true, force: true });
      return;
    }
  }
}

export interface TreeCheck {
  /** Checks passed / checks made, 0..1. */
  score: number;
  failures: string[];
}

function matches(root: string, path: string, want: ExpectedEntry): string | null {
  let st: Stats | undefined;
  try {
    st = lstatSync(join(root, path));
  } catch {
    st = undefined;
  }
  if (typeof want === 'object' && 'absent' in want) return st ? `${path} should not exist` : null;
  if (!st) return `${path} is missing`;
  if (typeof want === 'object' && 'dir' in want)
    return st.isDirectory() ? null : `${path} is not a directory`;
  if (!st.isFile()) return `${path} is not a regular file`;
  const data = readFileSync(join(root, path));
  if (typeof want === 'string') return data.equals(Buffer.from(want)) ? null : `${path} differs`;
  const got = createHash('sha256').update(data).digest('hex');
  return got === want.sha256 ? null : `${path} has the wrong content`;
}

/**
 * The built-in grader: each expected entry is one check; with `exclusive`, any other file is one
 * more failed check.
 * @example checkExpectedTree(dir, { 'a.txt': 'hi', 'b.txt': { absent: true } }, false)
 */
export function checkExpectedTree(
  root: string,
  expected: Readonly<Record<string, ExpectedEntry>>,
  exclusive: boolean,
): TreeCheck {
  const failures: string[] = [];
  let checks = 0;
  for (const [path, want] of Object.entries(expected)) {
    checks += 1;
    const problem = matches(root, path, want);
    if (problem) failures.push(problem);
  }
  if (exclusive) {
    const listed = new Set(Object.keys(expected));
    const parents = new Set(
      [...listed].flatMap((p) => p.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'))),
    );
    for (const e of walkTree(root)) {
      if (listed.has(e.path) || (e.kind === 'dir' && parents.has(e.path))) continue;
      checks += 1;
      failures.push(`${e.path} is not expected`);
    }
  }
  return { score: checks === 0 ? 1 : (checks - failures.length) / checks, failures };
}
