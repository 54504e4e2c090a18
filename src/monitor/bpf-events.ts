/**
 * Turns parsed bpftrace records into bus events for watched sandboxes: joins argv batches to their
 * exec, enriches execs with /proc facts (cwd, argv[0] masquerading), keeps only sensitive
 * file paths, and names syscall arguments. Records of unwatched cgroups are dropped here.
 */
import { constants } from 'node:os';
import { basename } from 'node:path';
import type { EventBus, NewEvent } from '../events/index.js';
import type { BpfRecord } from './bpftrace-parse.js';
import {
  argv0Mismatch,
  readArgv,
  readCwd,
  readCwdOfInode,
  readExe,
  readStatus,
  splitArgv,
} from './proc-facts.js';
import { absolutize, matchSensitive } from './sensitive-paths.js';
import type { WatchEntry, WatchRegistry } from './watch-registry.js';

const WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000; // O_WRONLY | O_RDWR | O_CREAT | O_TRUNC
const MAX_TRACKED = 20_000;
/**
 * How long a working directory's path, learnt from one exec, names every exec from that directory
 * (see `execCwd`). Bounds how long a renamed directory keeps its old name here.
 */
const CWD_KEY_TTL_MS = 1000;

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, n]) => [n, name]),
);

export function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? `SIG${n}`;
}

/**
 * The argv a #! script was run with, from the one the kernel built for its interpreter
 * (`[interpreter, optional argument, script path, arguments...]`, read from the new image): the
 * script path stands in for the caller's argv[0], which the kernel dropped. Any other argv is
 * returned as it is.
 */
export function callerArgv(argv: string[], filename: string): string[] {
  for (const at of [1, 2]) {
    if (argv[at] === filename && basename(argv[0] ?? '') !== basename(filename)) {
      return [filename, ...argv.slice(at + 1)];
    }
  }
  return argv;
}

export class BpfEventTranslator {
  /** argv chunks printed just before each exec line, keyed by the thread that called execve. */
  private readonly pendingArgv = new Map<number, Buffer[]>();
  /**
   * Executable and argv of each live watched pid's last exec: for file and syscall events, and
   * for a stdio turn, which must name the image that made it even when an exec followed at once.
   */
  private readonly imageOf = new Map<number, { exe: string; argv: string[] }>();
  /**
   * cwd of pids asked about in the records handled in one go (a read batch): a build opens many
   * relative paths, each of which needed a readlink. Cleared once the batch is handled, so each
   * answer is what /proc said while this batch was handled, as it would be read per record.
   */
  private readonly cwdNow = new Map<number, string | undefined>();
  /** Paths of working directories by kernel identity (`dentry:inode`), and when each was read. */
  private readonly cwdOfKey = new Map<string, { path: string; at: number }>();
  published = 0;

  constructor(
    private readonly bus: EventBus,
    private readonly registry: WatchRegistry,
  ) {}

  handle(rec: BpfRecord): void {
    if (!('cgroupId' in rec)) return;
    const watch = this.registry.lookup(rec.cgroupId);
    if (!watch) return;
    if (watch.armOnExec !== undefined && !watch.armed) {
      const arm = watch.armOnExec;
      if (
        rec.t !== 'exec' ||
        !(typeof arm === 'string' ? rec.filename === arm : arm(rec.filename))
      ) {
        return;
      }
      watch.armed = true;
      if (rec.t === 'exec') watch.setupPids = new Set([rec.pid, rec.ppid]);
    } else if (
      watch.setupPids &&
      'pid' in rec &&
      watch.setupPids.has(rec.pid) &&
      rec.t !== 'exit'
    ) {
      return;
    }
    switch (rec.t) {
      case 'argv-chunk': {
        if (rec.index === 0 || !this.pendingArgv.has(rec.tid)) {
          if (this.pendingArgv.size > MAX_TRACKED) this.pendingArgv.clear();
          this.pendingArgv.set(rec.tid, []);
        }
        const chunks = this.pendingArgv.get(rec.tid)!;
        // A chunk lost in the kernel's buffer ends the argv there: later ones would be misplaced.
        if (rec.index === chunks.length) chunks.push(rec.bytes);
        return;
      }
      case 'exec':
        return this.exec(watch, rec);
      case 'exit': {
        this.imageOf.delete(rec.pid);
        const code = rec.exitCode;
        const sig = code & 0x7f;
        this.emit(watch, {
          kind: 'process.exit',
          pid: rec.pid,
          ...(sig === 0 ? { exitCode: (code >> 8) & 0xff } : { signal: signalName(sig) }),
        });
        return;
      }
      case 'net-stdio':
        return this.netStdio(watch, rec);
      case 'file':
        return this.file(watch, rec);
      case 'connect':
        return this.connect(watch, rec);
      case 'syscall':
        return this.syscall(watch, rec);
    }
  }

  private exec(watch: WatchEntry, rec: Extract<BpfRecord, { t: 'exec' }>): void {
    const chunks = this.pendingArgv.get(rec.oldPid) ?? this.pendingArgv.get(rec.pid);
    const argv = chunks && splitArgv(Buffer.concat(chunks));
    this.pendingArgv.delete(rec.oldPid);
    this.pendingArgv.delete(rec.pid);
    const name = rec.filename;
    // Relative names and fd paths (exec from memory) say less than the kernel's link.
    const exe =
      name.startsWith('/') && !/^\/(dev|proc\/self)\/fd\//.test(name)
        ? name
        : (readExe(rec.pid) ?? name);
    const fullArgv =
      argv && argv.length > 0 ? callerArgv(argv, name) : (readArgv(rec.pid) ?? [name]);
    if (this.imageOf.size > MAX_TRACKED) this.imageOf.clear();
    this.imageOf.set(rec.pid, { exe, argv: fullArgv });
    const cwd = this.execCwd(rec.pid, rec.ppid, rec.cwdKey);
    this.emit(watch, {
      kind: 'process.exec',
      pid: rec.pid,
      ppid: rec.ppid,
      uid: rec.uid,
      exe,
      argv: fullArgv,
      source: 'ebpf',
      ...(cwd !== undefined ? { cwd } : {}),
      stdio: rec.stdio,
      argv0Mismatch: argv0Mismatch(exe, fullArgv[0]),
    });
  }

  /**
   * A network socket on the stdio of a running process (`dup2(sock, 0)` with no exec after it):
   * published as the exec it amounts to, as the /proc sampler does where eBPF is off. The image
   * is the one its last exec reported (a forked child's: its parent's), not what /proc says now:
   * a process that turns its stdio and then execs is another image by the time this line is
   * handled. /proc answers only for a process whose exec was not seen.
   */
  private netStdio(watch: WatchEntry, rec: Extract<BpfRecord, { t: 'net-stdio' }>): void {
    const seen = this.imageOf.get(rec.pid) ?? this.imageOf.get(rec.ppid);
    const exe = seen?.exe ?? readExe(rec.pid);
    const argv = seen?.argv ?? readArgv(rec.pid) ?? (exe ? [exe] : []);
    const cwd = readCwd(rec.pid);
    this.emit(watch, {
      kind: 'process.exec',
      pid: rec.pid,
      ppid: rec.ppid,
      uid: rec.uid,
      exe: exe ?? argv[0] ?? '',
      argv,
      source: 'ebpf',
      ...(cwd !== undefined ? { cwd } : {}),
      stdio: rec.stdio,
      argv0Mismatch: exe ? argv0Mismatch(exe, argv[0]) : false,
    });
  }

  private file(watch: WatchEntry, rec: Extract<BpfRecord, { t: 'file' }>): void {
    const write = rec.op !== 'open' || (rec.flags & WRITE_FLAGS) !== 0;
    const raw = rec.path.startsWith('/') ? rec.path : absolutize(rec.path, this.cwd(rec.pid));
    // chmod +x is reported wherever it happens: making a dropped file executable is the signal.
    if (rec.op !== 'chmod' && !matchSensitive(raw, write)) return;
    this.emit(watch, {
      kind: 'file.access',
      pid: rec.pid,
      exe: this.exe(rec.pid),
      path: this.selfPath(raw, rec.pid),
      op: rec.op === 'open' ? (write ? 'write' : 'open') : rec.op,
      flags: rec.flags,
      // open returns the fd: the event carries 0 for success.
      result: Math.min(0, rec.result),
    });
  }

  private connect(watch: WatchEntry, rec: Extract<BpfRecord, { t: 'connect' }>): void {
    if (rec.family === 'unix') {
      // Only sockets that matter (docker, containerd): every resolver pokes at nscd and friends.
      if (!matchSensitive(rec.address, false)) return;
      this.emit(watch, {
        kind: 'file.access',
        pid: rec.pid,
        exe: this.exe(rec.pid),
        path: rec.address,
        op: 'open',
        result: rec.result,
      });
    }
    this.emit(watch, {
      kind: 'syscall',
      pid: rec.pid,
      exe: this.exe(rec.pid),
      syscall: 'connect',
      args: {
        family: rec.family,
        address: rec.address,
        ...(rec.family === 'unix' ? {} : { port: rec.port }),
        result: rec.result,
      },
      denied: false,
    });
  }

  private syscall(watch: WatchEntry, rec: Extract<BpfRecord, { t: 'syscall' }>): void {
    const [a1 = 0, a2 = 0, a3 = 0] = rec.args;
    const text = rec.text ?? '';
    const named: Record<string, Record<string, number | string>> = {
      ptrace: { request: a1, targetPid: a2 },
      unshare: { flags: a1 },
      setns: { fd: a1, nstype: a2 },
      kill: { targetPid: a1, signal: a2 },
      tkill: { targetTid: a1, signal: a2 },
      tgkill: { targetPid: a1, targetTid: a2, signal: a3 },
      bpf: { cmd: a1 },
      mount: { flags: a1, target: text },
      memfd_create: { flags: a1, name: text },
      execveat: { fd: a1, flags: a2, path: text },
    };
    this.emit(watch, {
      kind: 'syscall',
      pid: rec.pid,
      exe: this.exe(rec.pid),
      syscall: rec.name,
      args: named[rec.name] ?? { a1, a2, a3 },
      denied: false,
    });
  }

  private cwd(pid: number): string | undefined {
    if (this.cwdNow.has(pid)) return this.cwdNow.get(pid);
    if (this.cwdNow.size === 0) queueMicrotask(() => this.cwdNow.clear());
    const cwd = readCwd(pid);
    this.cwdNow.set(pid, cwd);
    return cwd;
  }

  /**
   * The directory an exec ran in, by the kernel's identity of it: a build runs its hundred execs
   * from a few directories, so one readlink names them all, where one per exec cost more than the
   * rest of the exec's handling. The path is learnt only from a process whose cwd is still that
   * inode (`readCwdOfInode`), so a process that has moved on since its exec does not mislabel
   * the others. A process already gone is named by its parent when the parent is still in that
   * directory (a shell waiting for its command); failing that, it has none.
   */
  private execCwd(pid: number, ppid: number, key: string): string | undefined {
    const now = performance.now();
    const known = this.cwdOfKey.get(key);
    if (known && now - known.at <= CWD_KEY_TTL_MS) return known.path;
    const ino = key.slice(key.indexOf(':') + 1);
    const cwd = readCwdOfInode(pid, ino) ?? readCwdOfInode(ppid, ino);
    if (cwd !== undefined) {
      if (this.cwdOfKey.size > MAX_TRACKED) this.cwdOfKey.clear();
      this.cwdOfKey.set(key, { path: cwd, at: now });
    }
    return cwd;
  }

  private exe(pid: number): string | undefined {
    return this.imageOf.get(pid)?.exe ?? readExe(pid);
  }

  /** `/proc/<own ns pid>/environ` is the process's own: say `self` so rules need not know pids. */
  private selfPath(path: string, pid: number): string {
    const m = /^\/proc\/(\d+)\//.exec(path);
    if (!m) return path;
    const status = readStatus(pid);
    return status && Number(m[1]) === status.nsPid
      ? path.replace(/^\/proc\/\d+\//, '/proc/self/')
      : path;
  }

  private emit(watch: WatchEntry, event: DistributiveOmit<NewEvent, keyof AttributionKeys>): void {
    this.published += 1;
    this.bus.publish({ ...event, ...watch.attribution(), sandboxId: watch.sandboxId });
  }
}

type AttributionKeys = { sandboxId: string; episodeId?: string; stepId?: string };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
