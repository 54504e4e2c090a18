/**
 * What both cgroup layouts share: the sandbox cgroup interface and small fs helpers for cgroupfs
 * files (keyed values, pid lists, kill-until-empty, rmdir with EBUSY retries).
 */
import { closeSync, openSync, readFileSync, readSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CordonError } from '../errors.js';

/** The directory, in each hierarchy, that holds every sandbox cgroup. */
export const CORDON_DIR = 'cordon';

export interface CgroupLimits {
  /** CPU cores (fractional allowed). */
  cpus: number;
  memoryMB: number;
  pids: number;
}

export type LimitHits = Pick<CgroupUsage, 'oomKills' | 'pidsLimitHits'>;

export interface CgroupUsage {
  cpuMs: number;
  peakMemoryBytes: number;
  /** Processes the kernel OOM-killed in this cgroup so far. */
  oomKills: number;
  /** Forks refused because pids.max was reached, so far. */
  pidsLimitHits: number;
  /** Most processes at once (pids.peak; bwrap and cordon-init included), 0 when unknown. */
  peakPids: number;
}

export interface SandboxCgroup {
  readonly name: string;
  readonly version: 'v1' | 'v2';
  /** Every directory created for this sandbox (one per v1 controller, plus the v2 one). */
  readonly paths: readonly string[];
  /** The `cgroup.procs` files a process writes itself into to join the sandbox (cordon-launch). */
  readonly procsFiles: readonly string[];
  /** The v2 cgroup id (inode of the v2 directory), for eBPF filters; null without cgroup2. */
  readonly v2Id: number | null;
  /** Host pids of every process in the sandbox. */
  pids(): number[];
  usage(): CgroupUsage;
  /** The two counters `usage` has that say a limit was hit: two file reads, for every exec. */
  limitHits(): LimitHits;
  freeze(): Promise<void>;
  thaw(): void;
  /** SIGKILL every process and wait until the cgroup is empty. */
  kill(): Promise<void>;
  /** Kill what is left, then remove every directory. */
  remove(): Promise<void>;
}

export function readCgroupFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * A cgroupfs file read again and again through one descriptor: a read at offset 0 makes the
 * kernel write it afresh. Every exec reads the two limit counters before and after, and opening,
 * statting and closing each time cost more than the read. `close()` before the cgroup goes.
 */
export class KeptCgroupFile {
  private static readonly buffer = Buffer.allocUnsafe(4096);
  private fd: number | undefined;

  constructor(readonly path: string) {}

  /** The file's text now; null when it cannot be read (absent, or its cgroup removed). */
  read(): string | null {
    const buf = KeptCgroupFile.buffer;
    try {
      this.fd ??= openSync(this.path, 'r');
      const n = readSync(this.fd, buf, 0, buf.length, 0);
      // Counter files are a few lines; anything that fills the buffer is read whole instead.
      return n < buf.length ? buf.toString('utf8', 0, n) : readCgroupFile(this.path);
    } catch {
      this.close();
      return null;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = undefined;
  }
}

export function writeCgroupFile(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (error) {
    throw new CordonError('CORDON_E_CGROUP', `Could not write ${value.trim()} to ${path}`, {
      cause: error,
    });
  }
}

/** A `key value` line from a flat-keyed file (memory.events, pids.events, cpu.stat). */
export function keyedValue(text: string | null, key: string): number {
  if (!text) return 0;
  const m = new RegExp(`^${key}\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export function readPids(procsFile: string): number[] {
  const text = readCgroupFile(procsFile);
  if (!text) return [];
  return text
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((n) => n > 0);
}

/** SIGKILL what each dir's cgroup.procs lists, until all are empty (or ~2 s passed). */
export async function killPidsUntilEmpty(dirs: readonly string[], timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = new Set(dirs.flatMap((d) => readPids(join(d, 'cgroup.procs'))));
    if (pids.size === 0) return;
    for (const pid of pids) signalPid(pid, 'SIGKILL');
    if (Date.now() > deadline) {
      throw new CordonError('CORDON_E_CGROUP', 'Sandbox processes survived SIGKILL', {
        details: { pids: [...pids] },
      });
    }
    await sleep(5);
  }
}

export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** rmdir, retrying while the kernel still counts exiting tasks (EBUSY) for up to ~2 s. */
export async function removeDir(dir: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) {
        throw new CordonError('CORDON_E_CGROUP', `Could not remove cgroup ${dir}`, {
          cause: error,
        });
      }
      await sleep(5);
    }
  }
}

/** rmdir that never throws (undoing a partial setup). */
export function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // best effort
  }
}

/** Polls `check` every few ms until it is true or the time is up; returns the last answer. */
export async function waitFor(
  check: () => boolean,
  timeoutMs: number,
  stepMs = 2,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}
