/**
 * Facts about a live process read from /proc: executable, argv, parent, uid, cwd, what its stdio
 * points at, its pid inside its own namespace, and whether argv[0] masquerades. Every reader
 * returns undefined when the process is gone (short-lived processes race every reader here).
 */
import { readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { FdKind } from '../events/index.js';

export interface Stdio {
  stdin: FdKind;
  stdout: FdKind;
  stderr: FdKind;
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function tryLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

export function readExe(pid: number): string | undefined {
  return tryLink(`/proc/${pid}/exe`);
}

/** The pid namespace a process is in (`pid:[4026531836]`). */
export function readPidNamespace(pid: number | 'self'): string | undefined {
  return tryLink(`/proc/${pid}/ns/pid`);
}

export function readCwd(pid: number): string | undefined {
  return tryLink(`/proc/${pid}/cwd`);
}

/**
 * The path of a process's working directory if that directory is still inode `ino`: read between
 * two looks at the inode, so a `cd` in between cannot pass another directory's path off as it.
 * Undefined when the process is gone or its cwd is elsewhere now.
 */
export function readCwdOfInode(pid: number, ino: string): string | undefined {
  const link = `/proc/${pid}/cwd`;
  const isIno = (): boolean => {
    try {
      return String(statSync(link, { bigint: true, throwIfNoEntry: false })?.ino) === ino;
    } catch {
      return false; // EACCES and the like: as if gone
    }
  };
  if (!isIno()) return undefined;
  const path = tryLink(link);
  return path !== undefined && isIno() ? path : undefined;
}

/**
 * The strings of an argv area (each NUL-terminated, as the kernel lays them out: what
 * /proc/<pid>/cmdline shows and what the eBPF monitor sends). An area cut short ends with its last
 * string cut.
 */
export function splitArgv(area: Buffer): string[] {
  const argv: string[] = [];
  let start = 0;
  for (let nul = area.indexOf(0); nul >= 0; nul = area.indexOf(0, start)) {
    argv.push(area.toString('utf8', start, nul));
    start = nul + 1;
  }
  if (start < area.length) argv.push(area.toString('utf8', start));
  return argv;
}

export function readArgv(pid: number): string[] | undefined {
  try {
    return splitArgv(readFileSync(`/proc/${pid}/cmdline`));
  } catch {
    return undefined;
  }
}

export interface ProcStatus {
  ppid: number;
  uid: number;
  /** The pid as the process itself sees it (last NSpid entry). */
  nsPid: number;
  name: string;
}

export function readStatus(pid: number): ProcStatus | undefined {
  const raw = tryRead(`/proc/${pid}/status`);
  if (raw === undefined) return undefined;
  const get = (key: string): string | undefined =>
    new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(raw)?.[1];
  const nsPids = (get('NSpid') ?? String(pid)).trim().split(/\s+/);
  return {
    ppid: Number(get('PPid') ?? 0),
    uid: Number((get('Uid') ?? '0').split(/\s+/)[0]),
    nsPid: Number(nsPids.at(-1) ?? pid),
    name: get('Name') ?? '',
  };
}

/** Classifies a /proc/<pid>/fd/<n> link target. */
export function fdKind(target: string | undefined): FdKind {
  if (target === undefined) return 'none';
  if (target.startsWith('socket:')) return 'socket';
  if (target.startsWith('pipe:')) return 'pipe';
  if (target === '/dev/null') return 'null';
  if (/^\/dev\/(pts\/\d+|tty\w*|console)$/.test(target)) return 'tty';
  return 'file';
}

/** Inodes of the unix sockets listed in a `net/unix` table. */
function unixInodes(table: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const line of (table ?? '').split('\n').slice(1)) {
    const ino = line.trim().split(/\s+/)[6];
    if (ino) out.add(ino);
  }
  return out;
}

/** What fds 0..2 of a process are, or undefined when the process is gone. */
export function readStdio(pid: number): Stdio | undefined {
  const links = [0, 1, 2].map((fd) => tryLink(`/proc/${pid}/fd/${fd}`));
  // All three unreadable means the process (not its fds) is gone.
  if (links.every((l) => l === undefined) && tryLink(`/proc/${pid}/cwd`) === undefined) {
    return undefined;
  }
  const kinds = links.map((l) => fdKind(l));
  if (kinds.includes('socket')) {
    // A unix socket on stdio is how node and the sandbox pass pipes; only network sockets
    // make the reverse-shell shape. The socket may come from the host's netns or the process's.
    const unix = unixInodes(tryRead(`/proc/${pid}/net/unix`));
    for (const ino of unixInodes(tryRead('/proc/self/net/unix'))) unix.add(ino);
    links.forEach((l, i) => {
      const ino = /^socket:\[(\d+)\]$/.exec(l ?? '')?.[1];
      if (ino && unix.has(ino)) kinds[i] = 'unix';
    });
  }
  return { stdin: kinds[0] ?? 'none', stdout: kinds[1] ?? 'none', stderr: kinds[2] ?? 'none' };
}

const resolvedNames = new Map<string, string | null>();

/** `/usr/bin/<name>` (or `/bin`, `/usr/sbin`, `/sbin`) resolved through links, cached. */
function resolveCommand(name: string): string | null {
  const cached = resolvedNames.get(name);
  if (cached !== undefined) return cached;
  let found: string | null = null;
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    try {
      found = realpathSync(`${dir}/${name}`);
      break;
    } catch {
      // not in this directory
    }
  }
  if (resolvedNames.size > 4096) resolvedNames.clear();
  resolvedNames.set(name, found);
  return found;
}

/**
 * True when argv[0] names something other than the executable: `kworker` running /tmp/xmrig.
 * Links (`sh` -> dash, `python3` -> python3.11) and interpreters' own names are not mismatches.
 */
export function argv0Mismatch(exe: string, argv0: string | undefined): boolean {
  if (!argv0 || !exe.startsWith('/')) return false;
  const exeName = basename(exe.replace(/ \(deleted\)$/, ''));
  const argName = basename(argv0).replace(/^-/, ''); // login shells: "-bash"
  if (argName === exeName || argName === '') return false;
  if (argv0.startsWith('/')) {
    try {
      if (realpathSync(argv0) === realpathSync(exe)) return false;
    } catch {
      // argv0 names no file: fall through to the name check
    }
  }
  const resolved = resolveCommand(argName);
  if (resolved !== null) {
    try {
      if (resolved === realpathSync(exe)) return false;
    } catch {
      return false; // the executable vanished: no evidence either way
    }
  }
  // Versioned interpreter names: python3 running python3.11, node running node20.
  return !(exeName.startsWith(argName) || argName.startsWith(exeName));
}
