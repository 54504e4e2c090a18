/**
 * The /proc sampler: every `intervalMs` it lists a sandbox's pids from cgroup.procs (and cgroups
 * nested below) and reads what /proc says about each. Two modes per sandbox:
 * - `full` (no eBPF): publishes `process.exec` (source `proc`) for each new pid or new image, and
 *   when a process's stdio turns into a socket after its exec (the `dup2(sock, 0..2)` reverse
 *   shell); `process.exit` when a pid is gone. Processes shorter than one interval can be missed.
 * - `idle` (eBPF sees execs and stdio turns): reads nothing, ready to take over in `full` mode
 *   should eBPF die (`setMode`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Attribution, EventBus, NewEvent, ProcessExecEvent } from '../events/index.js';
import {
  argv0Mismatch,
  readArgv,
  readCwd,
  readExe,
  readPidNamespace,
  readStatus,
  readStdio,
} from './proc-facts.js';
import type { Stdio } from './proc-facts.js';

export type SamplerMode = 'full' | 'idle';

export interface ProcTarget {
  sandboxId: string;
  /** The sandbox's cgroup.procs file (v1 pids/cpuacct or v2 directory). */
  cgroupProcsPath: string;
  attribution: () => Attribution;
  mode?: SamplerMode;
  /**
   * Ignore processes in cordon's own pid namespace. A sandbox always gets a fresh one (bwrap
   * --unshare-pid), so what shares cordon's is its launcher (cordon-launch, then the outer bwrap),
   * which sits in the sandbox's cgroup with cordon's own argv. Matching by namespace, not by name:
   * an agent can rename a binary to `bwrap` but cannot leave its pid namespace.
   */
  skipOwnPidNamespace?: boolean;
}

interface Seen {
  exe: string | undefined;
  argv0: string | undefined;
  socketStdio: boolean;
  /** A launcher process (see `skipOwnPidNamespace`): never reported. */
  launcher?: true;
}

interface Watched {
  target: ProcTarget;
  mode: SamplerMode;
  seen: Map<number, Seen>;
}

export interface ProcSamplerOptions {
  bus: EventBus;
  intervalMs?: number;
}

/** The cgroup directory of a cgroup.procs path (a directory is taken as is). */
export function procsDir(procsPath: string): string {
  // The usual form needs no stat (one per sampler tick was a tenth of the tick's cost).
  if (basename(procsPath) === 'cgroup.procs') return dirname(procsPath);
  try {
    if (statSync(procsPath).isDirectory()) return procsPath;
  } catch {
    // gone or not yet there: treat as a file path
  }
  return dirname(procsPath);
}

/** The pids of a cgroup and of every cgroup below it (depth-limited). */
export function cgroupPids(procsPath: string, depth = 4): number[] {
  const pids: number[] = [];
  const walk = (dir: string, left: number): void => {
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
        if (line) pids.push(Number(line));
      }
    } catch {
      return; // the cgroup is gone
    }
    if (left === 0) return;
    try {
      for (const d of readdirSync(dir, { withFileTypes: true })) {
        if (d.isDirectory()) walk(join(dir, d.name), left - 1);
      }
    } catch {
      // raced with removal
    }
  };
  walk(procsDir(procsPath), depth);
  return pids;
}

function hasSocket(stdio: Stdio | undefined): boolean {
  return (
    !!stdio && (stdio.stdin === 'socket' || stdio.stdout === 'socket' || stdio.stderr === 'socket')
  );
}

export class ProcSampler {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private ownPidNamespace: string | undefined;
  published = 0;

  constructor(private readonly options: ProcSamplerOptions) {
    this.intervalMs = options.intervalMs ?? 200;
  }

  /** Starts sampling `target` (a first scan happens before this returns). */
  watch(target: ProcTarget): () => void {
    const entry: Watched = { target, mode: target.mode ?? 'full', seen: new Map() };
    this.watched.add(entry);
    this.scan(entry);
    this.tickWhileNeeded();
    return () => {
      this.watched.delete(entry);
      this.tickWhileNeeded();
    };
  }

  /** Switches every sandbox (e.g. to `full` when eBPF dies mid-run). */
  setMode(mode: SamplerMode): void {
    for (const w of this.watched) w.mode = mode;
    this.tickWhileNeeded();
  }

  /** The timer runs while a sandbox is sampled in full mode: idle ones need no wake-ups. */
  private tickWhileNeeded(): void {
    const needed = [...this.watched].some((w) => w.mode === 'full');
    if (needed) {
      this.timer ??= setInterval(() => this.scanAll(), this.intervalMs).unref();
    } else if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  scanAll(): void {
    for (const w of this.watched) this.scan(w);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private scan(w: Watched): void {
    if (w.mode === 'idle') return;
    const live = new Set(cgroupPids(w.target.cgroupProcsPath));
    for (const pid of live) {
      const before = w.seen.get(pid);
      if (before?.launcher) continue;
      if (!before && w.target.skipOwnPidNamespace && this.inOwnPidNamespace(pid)) {
        w.seen.set(pid, { exe: undefined, argv0: undefined, socketStdio: false, launcher: true });
        continue;
      }
      const exe = readExe(pid);
      const stdio = readStdio(pid);
      if (stdio === undefined) continue; // exited between the listing and now
      const socketStdio = hasSocket(stdio);
      const argv = readArgv(pid) ?? [];
      const changedImage = !before || before.exe !== exe || before.argv0 !== argv[0];
      w.seen.set(pid, { exe, argv0: argv[0], socketStdio });
      const becameSocket = !!before && socketStdio && !before.socketStdio;
      if (changedImage || becameSocket) {
        this.publishExec(w, pid, exe, argv, stdio);
      }
    }
    for (const [pid, seen] of w.seen) {
      if (live.has(pid)) continue;
      w.seen.delete(pid);
      if (!seen.launcher) {
        this.publish(w, { kind: 'process.exit', sandboxId: w.target.sandboxId, pid });
      }
    }
  }

  private inOwnPidNamespace(pid: number): boolean {
    this.ownPidNamespace ??= readPidNamespace('self');
    const ns = readPidNamespace(pid);
    return ns !== undefined && ns === this.ownPidNamespace;
  }

  private publishExec(
    w: Watched,
    pid: number,
    exe: string | undefined,
    argv: string[],
    stdio: Stdio,
  ) {
    const status = readStatus(pid);
    const cwd = readCwd(pid);
    const event: NewEvent<ProcessExecEvent> = {
      kind: 'process.exec',
      sandboxId: w.target.sandboxId,
      pid,
      exe: exe ?? argv[0] ?? '',
      argv,
      source: 'proc',
      stdio,
      argv0Mismatch: exe ? argv0Mismatch(exe, argv[0]) : false,
      ...(status ? { ppid: status.ppid, uid: status.uid } : {}),
      ...(cwd !== undefined ? { cwd } : {}),
    };
    this.publish(w, event);
  }

  private publish(w: Watched, event: NewEvent): void {
    this.published += 1;
    this.options.bus.publish({
      ...event,
      ...w.target.attribution(),
      sandboxId: w.target.sandboxId,
    });
  }
}
