/**
 * Parses bpftrace's `-f json` output into typed records. Pure; the wire format is documented in
 * `bpftrace-program.ts`. Anything unexpected becomes `null` (a malformed line never throws).
 */
import type { FdKind } from '../events/index.js';
import { FILE_OP_NAMES, STDIO_KINDS } from './bpftrace-program.js';

export type BpfRecord =
  | { t: 'attached'; probes: number }
  | { t: 'lost'; events: number }
  | { t: 'sync'; pid: number }
  /** Bytes `index * ARGV_CHUNK` on of an exec's argv area (NUL-terminated strings). */
  | { t: 'argv-chunk'; cgroupId: number; tid: number; index: number; bytes: Buffer }
  | {
      t: 'exec';
      cgroupId: number;
      pid: number;
      ppid: number;
      uid: number;
      oldPid: number;
      /** Tagged urgent in the kernel (`N`): read at once, not with the next batch. */
      urgent: boolean;
      /** What fds 0..2 were at exec, read in the kernel. */
      stdio: { stdin: FdKind; stdout: FdKind; stderr: FdKind };
      /** The working directory's identity in the kernel (`dentry:inode`), not its path. */
      cwdKey: string;
      filename: string;
    }
  | { t: 'exit'; cgroupId: number; pid: number; exitCode: number }
  /** A network socket came onto fd 0..2 after exec; `stdio` is what fds 0..2 are now. */
  | {
      t: 'net-stdio';
      cgroupId: number;
      pid: number;
      ppid: number;
      uid: number;
      stdio: { stdin: FdKind; stdout: FdKind; stderr: FdKind };
    }
  | {
      t: 'file';
      cgroupId: number;
      pid: number;
      op: 'open' | 'unlink' | 'rename' | 'chmod';
      result: number;
      flags: number;
      path: string;
    }
  | {
      t: 'connect';
      cgroupId: number;
      pid: number;
      result: number;
      family: 'inet' | 'inet6' | 'unix';
      port: number;
      address: string;
    }
  | { t: 'syscall'; cgroupId: number; pid: number; name: string; args: number[]; text?: string };

/** A u32 read little-endian from the bytes of an in_addr. */
export function ipv4(word: number): string {
  return [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff].join('.');
}

/** Two u64 words read little-endian from the 16 bytes of an in6_addr, in canonical form. */
export function ipv6(hiWord: string, loWord: string): string {
  const bytes: number[] = [];
  for (const word of [hiWord, loWord]) {
    let v = BigInt(word);
    for (let i = 0; i < 8; i++) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    }
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  }
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** Splits into at most `n` fields: the last keeps any tabs it contains. */
function fields(data: string, n: number): string[] | null {
  const out: string[] = [];
  let rest = data;
  for (let i = 0; i < n - 1; i++) {
    const at = rest.indexOf('\t');
    if (at < 0) return null;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  out.push(rest);
  return out;
}

/** `dentry:inode`, both decimal. */
const CWD_KEY = /^\d+:\d+$/;

function num(s: string | undefined): number {
  return s === undefined ? NaN : Number(s);
}

/** The value of a lower-case hex digit's character code, or -1. */
function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * Decodes bpftrace's `%rh` (every byte as two hex digits, separated by spaces: `61 62`); null
 * unless the text is exactly that. By hand: a regex check, a replaceAll and Buffer.from cost a C
 * build's argv chunks twice as much.
 */
export function decodeHexBytes(text: string): Buffer | null {
  if ((text.length + 1) % 3 !== 0) return text.length === 0 ? Buffer.alloc(0) : null;
  const out = Buffer.allocUnsafe((text.length + 1) / 3);
  for (let i = 0, j = 0; i < text.length; i += 3, j++) {
    const hi = hexDigit(text.charCodeAt(i));
    const lo = hexDigit(text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0 || (i + 2 < text.length && text.charCodeAt(i + 2) !== 32)) return null;
    out[j] = hi * 16 + lo;
  }
  return out;
}

/** What fds 0..2 are, from their kinds packed as hex digits (fd 0 last); undefined if malformed. */
function stdioKinds(
  packed: string | undefined,
): Extract<BpfRecord, { t: 'exec' }>['stdio'] | undefined {
  if (packed === undefined || !/^[0-9a-f]{1,3}$/.test(packed)) return undefined;
  const n = parseInt(packed, 16);
  const stdin = STDIO_KINDS[n & 0xf];
  const stdout = STDIO_KINDS[(n >> 4) & 0xf];
  const stderr = STDIO_KINDS[n >> 8];
  return stdin && stdout && stderr ? { stdin, stdout, stderr } : undefined;
}

/** Parses one printf payload (without the trailing newline). */
export function parsePrintf(data: string): BpfRecord | null {
  const tag = data.slice(0, 2);
  switch (tag) {
    case 'M\t':
      return { t: 'sync', pid: num(data.slice(2)) };
    case 'A\t': {
      const f = fields(data, 5);
      const bytes = f && decodeHexBytes(f[4] ?? '');
      if (!f || !bytes) return null;
      return { t: 'argv-chunk', cgroupId: num(f[1]), tid: num(f[2]), index: num(f[3]), bytes };
    }
    case 'E\t':
    case 'N\t': {
      const f = fields(data, 9);
      const stdio = stdioKinds(f?.[6]);
      if (!f || !stdio || !CWD_KEY.test(f[7] ?? '')) return null;
      return {
        t: 'exec',
        cgroupId: num(f[1]),
        pid: num(f[2]),
        ppid: num(f[3]),
        uid: num(f[4]),
        oldPid: num(f[5]),
        urgent: tag === 'N\t',
        stdio,
        cwdKey: f[7] ?? '',
        filename: f[8] ?? '',
      };
    }
    case 'D\t': {
      const f = data.split('\t');
      const stdio = stdioKinds(f[5]);
      if (f.length !== 6 || !stdio) return null;
      return {
        t: 'net-stdio',
        cgroupId: num(f[1]),
        pid: num(f[2]),
        ppid: num(f[3]),
        uid: num(f[4]),
        stdio,
      };
    }
    case 'X\t': {
      const f = fields(data, 4);
      if (!f) return null;
      return { t: 'exit', cgroupId: num(f[1]), pid: num(f[2]), exitCode: num(f[3]) };
    }
    case 'F\t': {
      const f = fields(data, 7);
      const op = f ? FILE_OP_NAMES[num(f[3])] : undefined;
      if (!f || !op) return null;
      const path = f[6] ?? '';
      return {
        t: 'file',
        cgroupId: num(f[1]),
        pid: num(f[2]),
        op,
        result: num(f[4]),
        flags: num(f[5]),
        path,
      };
    }
    case 'C\t': {
      const f = fields(data, 7);
      if (!f) return null;
      const base = {
        t: 'connect' as const,
        cgroupId: num(f[1]),
        pid: num(f[2]),
        result: num(f[3]),
      };
      if (f[4] === '1') return { ...base, family: 'unix', port: 0, address: f[6] ?? '' };
      const raw = data.split('\t');
      if (raw.length !== 9) return null;
      const port = num(raw[5]);
      const portHost = ((port & 0xff) << 8) | (port >> 8);
      if (raw[4] === '2')
        return { ...base, family: 'inet', port: portHost, address: ipv4(num(raw[6])) };
      if (raw[4] === '10') {
        return {
          ...base,
          family: 'inet6',
          port: portHost,
          address: ipv6(raw[7] ?? '0', raw[8] ?? '0'),
        };
      }
      return null;
    }
    case 'S\t': {
      const f = fields(data, 7);
      if (!f) return null;
      return {
        t: 'syscall',
        cgroupId: num(f[1]),
        pid: num(f[2]),
        name: f[3] ?? '',
        args: [num(f[4]), num(f[5]), num(f[6])],
      };
    }
    case 'P\t': {
      const f = fields(data, 7);
      if (!f) return null;
      return {
        t: 'syscall',
        cgroupId: num(f[1]),
        pid: num(f[2]),
        name: f[3] ?? '',
        args: [num(f[4]), num(f[5])],
        text: f[6] ?? '',
      };
    }
    default:
      return null;
  }
}

/** Parses one line of `bpftrace -f json` output. */
export function parseLine(line: string): BpfRecord | null {
  if (!line.startsWith('{')) return null;
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null) return null;
  const { type, data } = msg as { type?: unknown; data?: unknown };
  if (type === 'printf' && typeof data === 'string') {
    return parsePrintf(data.endsWith('\n') ? data.slice(0, -1) : data);
  }
  if (type === 'attached_probes' && typeof data === 'object' && data !== null) {
    return { t: 'attached', probes: Number((data as { probes?: unknown }).probes) };
  }
  if (type === 'lost_events' && typeof data === 'object' && data !== null) {
    return { t: 'lost', events: Number((data as { events?: unknown }).events) };
  }
  return null;
}
