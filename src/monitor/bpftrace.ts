/**
 * The eBPF source: one long-lived bpftrace child per cordon process, shared by every sandbox.
 * Owns its lifecycle (start, the "probes attached" handshake, a sync marker proving events flow,
 * one restart after a crash, stop) and routes its output to the translator for watched cgroups.
 * A crash is never silent: coverage goes off with the reason and `onError` is called.
 */
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CordonError } from '../errors.js';
import type { Attribution, EventBus } from '../events/index.js';
import { BpfEventTranslator } from './bpf-events.js';
import {
  BPFTRACE_STRLEN,
  buildProgram,
  SYNC_COMM,
  URGENT_TAGS,
  WATCH_COUNT,
  WATCH_OFFSET,
} from './bpftrace-program.js';
import { parseLine } from './bpftrace-parse.js';
import { readLines, type LineReader } from './line-reader.js';
import { ensureTracefs, findBpftrace, hostCgroupIds, readSyscallFields } from './probe.js';
import { hostEnv, spawnLauncher, type LauncherProcess } from '../sandbox/fast-spawn.js';
import { findExecutable } from '../sandbox/host.js';
import { WatchRegistry } from './watch-registry.js';

export interface BpfMonitorOptions {
  bus: EventBus;
  /** Called when bpftrace fails to start or dies; coverage is already off when it is called. */
  onError?: (error: CordonError) => void;
  /** How long attaching plus the first sync may take (default 60 s: compiling takes ~2 s of CPU). */
  startTimeoutMs?: number;
  /** How long bpftrace's output may wait to be read with what follows it (see line-reader.ts). */
  readBatchMs?: number;
}

export interface BpfWatch {
  sandboxId: string;
  /** The sandbox's cgroup2 id (inode of its v2 directory). */
  cgroupId: number;
  /** Its v2 directory, so that cgroups nested below it are attributed to it as well. */
  cgroupDir?: string | undefined;
  attribution: () => Attribution;
  /** Publish nothing until a process of the sandbox execs this path (see WatchEntry). */
  armOnExec?: string | ((filename: string) => boolean) | undefined;
}

export interface BpfCoverage {
  live: boolean;
  reason?: string;
}

/**
 * Default of `readBatchMs`. Events are attributed (sandbox step) when read, so a line must not
 * wait past the step that made it: the monitor drains the pipe (`drain`) whenever a step starts or
 * ends. Without that drain, 20 ms put events of a process that ended just before its step did in
 * the next one (test/monitor, three eval scenarios), and 5 ms was the default: 20 ms halves the
 * reads again (~70 ms less CPU per bench build).
 */
const READ_BATCH_MS = 20;
/**
 * How long a routine line (see URGENT_TAGS) may wait to be read with what follows it, when the
 * native batch reader is built. A C build's lines then wake cordon five times a second, not every
 * READ_BATCH_MS.
 */
const ROUTINE_WAIT_MS = 200;
/**
 * How long the native reader's thread lets a burst of lines gather between reads: an urgent line
 * (a miner's exec) waits this long at most behind a busy stream, as it did behind the JS reader's
 * batch. Its wake-ups cost about 15 us of its own CPU, but each preempts the workload: 10 ms
 * measured no better for the build's wall time than 40 ms (noisy), and 20 ms keeps the miner's
 * exec-to-gone time well under 50 ms.
 */
const NATIVE_BATCH_MS = 20;
/** How long an unwatched sandbox's events still publish: output already in the pipe. */
const UNWATCH_GRACE_MS = 300;
/** Keys per bpftrace map (BPFTRACE_MAP_KEYS_MAX, default 4096): bounds the traced cgroups. */
export const MAP_KEYS_MAX = 16_384;

export class BpfMonitor {
  readonly registry = new WatchRegistry(MAP_KEYS_MAX);
  private readonly translator: BpfEventTranslator;
  private child: LauncherProcess | undefined;
  private reader: LineReader | undefined;
  private readonly syncWaiters = new Map<number, () => void>();
  /** Marker pids seen lately (a marker can be read before its spawn has returned its pid). */
  private readonly seenMarkers = new Set<number>();
  private readonly markerDir = mkdtempSync(join(tmpdir(), 'cordon-mon-'));
  private readonly marker = join(this.markerDir, SYNC_COMM);
  private state: BpfCoverage = { live: false, reason: 'starting' };
  private restarts = 0;
  private stopping = false;
  private stderrTail: string[] = [];
  /** /dev/null, read at a magic offset to add or remove a watched cgroup in the kernel map. */
  private readonly controlFd = openSync('/dev/null', 'r');
  private readonly controlBuf = Buffer.alloc(2);
  /** Resolves once probes are attached and a sync marker came back; rejects on failure. */
  ready: Promise<void>;
  /** `records`: event records from the kernel (markers and bpftrace's own messages left out). */
  /** `urgentExecs`: exec lines the kernel tagged urgent (see URGENT_TAGS). */
  stats = { lines: 0, records: 0, lostEvents: 0, probes: 0, urgentExecs: 0 };

  private constructor(private readonly options: BpfMonitorOptions) {
    this.translator = new BpfEventTranslator(options.bus, this.registry);
    symlinkSync(existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true', this.marker);
    this.ready = this.launch();
    this.ready.catch(() => undefined); // reported through onError and coverage
  }

  /**
   * Starts bpftrace; await `ready` before trusting coverage.
   * @example const bpf = BpfMonitor.start({ bus }); await bpf.ready;
   */
  static start(options: BpfMonitorOptions): BpfMonitor {
    return new BpfMonitor(options);
  }

  coverage(): BpfCoverage {
    return { ...this.state };
  }

  /** The bpftrace process id while it runs. */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  get published(): number {
    return this.translator.published;
  }

  /** Publishes events of `target`'s cgroup (and those below it) until the returned function runs. */
  watch(target: BpfWatch): () => void {
    const entry = {
      sandboxId: target.sandboxId,
      cgroupId: target.cgroupId,
      dir: target.cgroupDir,
      attribution: target.attribution,
      armOnExec: target.armOnExec,
    };
    const remove = this.registry.add(entry);
    // The kernel traces the cgroup from here on: the map is updated before readSync returns.
    for (const id of this.registry.idsOf(entry)) this.control(id, 'add');
    let done = false;
    return () => {
      if (done) return;
      done = true;
      setTimeout(() => {
        for (const id of this.registry.idsOf(entry)) this.control(id, 'remove');
        remove();
      }, UNWATCH_GRACE_MS).unref();
    };
  }

  /**
   * Resolves once every event that happened before the call has been read: runs the marker
   * program (again every 100 ms: while probes attach, early markers go unseen) until one is seen.
   */
  async sync(timeoutMs = 5000): Promise<void> {
    if (!this.child || !this.state.live) throw this.unavailable('bpftrace is not running');
    const pids: number[] = [];
    let timer: NodeJS.Timeout | undefined;
    let retry: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        // posix_spawn, not child_process: a fork of Node would block the event loop (tens of ms)
        // on every episode step. The pid is known only after the spawn, so a marker seen before
        // then is remembered in seenMarkers.
        const fire = (): void => {
          spawnLauncher(this.marker, [], { env: {}, stdio: ['ignore', 'ignore', 'ignore'] }).then(
            (marker) => {
              if (marker.pid === undefined) return;
              pids.push(marker.pid);
              if (this.seenMarkers.has(marker.pid)) resolve();
              else this.syncWaiters.set(marker.pid, resolve);
            },
            () => undefined, // the next tick tries again; the timeout reports a lasting failure
          );
        };
        timer = setTimeout(
          () => reject(this.unavailable(`no sync marker from bpftrace within ${timeoutMs} ms`)),
          timeoutMs,
        );
        retry = setInterval(fire, 100);
        fire();
      });
    } finally {
      clearTimeout(timer);
      clearInterval(retry);
      for (const pid of pids) this.syncWaiters.delete(pid);
    }
  }

  private markerSeen(pid: number): void {
    const waiter = this.syncWaiters.get(pid);
    if (waiter) return waiter();
    this.seenMarkers.add(pid);
    if (this.seenMarkers.size > 64) {
      const oldest = this.seenMarkers.values().next().value;
      if (oldest !== undefined) this.seenMarkers.delete(oldest);
    }
  }

  /**
   * Publishes, before returning, the events of every line bpftrace has written so far (a read
   * batch may hold them back for `readBatchMs`). Lines bpftrace has yet to write are not waited
   * for: `sync` does that.
   */
  drain(): void {
    if (this.state.live) this.reader?.drain();
  }

  stop(): void {
    this.stopping = true;
    this.state = { live: false, reason: 'stopped' };
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      // Nothing is left to read, and detaching is slow: the kernel waits out an RCU grace period
      // for each tracepoint (about 2 s for the program's 51 on a 2-core VM), whether bpftrace
      // detaches them (SIGINT) or its exit closes them. So it is killed and not waited for; its
      // output is no longer read, and --pdeathsig ties it to cordon.
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
    }
    rmSync(this.markerDir, { recursive: true, force: true });
    closeSync(this.controlFd);
  }

  /** Adds or removes one cgroup in the program's map of traced cgroups (see WATCH_OFFSET). */
  private control(cgroupId: number, op: keyof typeof WATCH_COUNT): void {
    if (this.stopping) return;
    readSync(this.controlFd, this.controlBuf, 0, WATCH_COUNT[op], WATCH_OFFSET + BigInt(cgroupId));
  }

  private unavailable(message: string): CordonError {
    return new CordonError('CORDON_E_MONITOR_UNAVAILABLE', message, {
      details: { stderr: this.stderrTail.join('\n') },
    });
  }

  private async launch(): Promise<void> {
    const bpftrace = findBpftrace();
    if (!bpftrace) return this.fail('bpftrace is not installed');
    const tracefs = ensureTracefs();
    if (!tracefs) return this.fail('tracefs is not mounted and could not be mounted');
    let program: string;
    try {
      program = buildProgram({
        excludeCgroupIds: hostCgroupIds(),
        controlPid: process.pid,
        syscalls: readSyscallFields(tracefs),
      });
    } catch (err) {
      return this.fail(`cannot build the eBPF program: ${(err as Error).message}`);
    }
    const setpriv = findExecutable('setpriv');
    if (!setpriv) return this.fail('setpriv (util-linux) is not installed');
    // setpriv: bpftrace dies with cordon even on SIGKILL (its probes would otherwise linger).
    // posix_spawn, not child_process: a fork copies Node's page tables, and every page cordon then
    // writes takes a copy-on-write fault (about 230 of the 750 faults of cordon's main thread in
    // a monitored bench build came from this fork).
    let child: LauncherProcess;
    try {
      child = await spawnLauncher(
        setpriv,
        ['--pdeathsig', 'KILL', bpftrace, '-f', 'json', '-e', program],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            ...hostEnv(),
            BPFTRACE_STRLEN: String(BPFTRACE_STRLEN),
            BPFTRACE_PERF_RB_PAGES: '256',
            BPFTRACE_MAP_KEYS_MAX: String(MAP_KEYS_MAX),
          },
        },
      );
    } catch (error) {
      return this.fail(`cannot start bpftrace: ${(error as Error).message}`);
    }
    const { stdout, stderr } = child;
    if (this.stopping) {
      // stop() came while the spawn ran: nothing will read this one.
      child.kill('SIGKILL');
      child.unref();
      stdout?.destroy();
      stderr?.destroy();
      return Promise.reject(this.unavailable('stopped while bpftrace was starting'));
    }
    if (!stdout || !stderr) {
      child.kill('SIGKILL');
      return this.fail('bpftrace started without its output pipes');
    }
    this.child = child;
    this.stderrTail = [];
    const attached = new Promise<void>((resolve, reject) => {
      this.reader = readLines(
        stdout,
        (line) => {
          this.stats.lines += 1;
          const rec = parseLine(line);
          if (!rec) return;
          if (rec.t === 'attached') {
            this.stats.probes = rec.probes;
            resolve();
          } else if (rec.t === 'sync') this.markerSeen(rec.pid);
          else if (rec.t === 'lost') this.stats.lostEvents += rec.events;
          else {
            this.stats.records += 1;
            if (rec.t === 'exec' && rec.urgent) this.stats.urgentExecs += 1;
            this.translator.handle(rec);
          }
        },
        this.options.readBatchMs ?? READ_BATCH_MS,
        { tags: URGENT_TAGS, maxWaitMs: ROUTINE_WAIT_MS, nativeBatchMs: NATIVE_BATCH_MS },
      );
      createInterface({ input: stderr }).on('line', (line) => {
        if (/RLIMIT_MEMLOCK/.test(line)) return; // harmless on modern kernels
        this.stderrTail = [...this.stderrTail.slice(-19), line];
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        reject(this.unavailable(`bpftrace exited (${signal ?? `code ${code}`}) before attaching`));
        this.onExit(child, code, signal);
      });
    });
    const timeoutMs = this.options.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(this.unavailable(`bpftrace did not attach within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([attached, timeout]);
      this.state = { live: true };
      await this.sync(Math.max(1000, timeoutMs / 2));
      // The map exists once the marker came back (bpftrace announces probes before attaching
      // them); a restarted program starts empty: sandboxes watched meanwhile go back in.
      for (const id of this.registry.ids()) this.control(id, 'add');
    } catch (error) {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      return this.fail(error instanceof Error ? error.message : String(error));
    }
    clearTimeout(timer);
  }

  private onExit(child: LauncherProcess, code: number | null, signal: string | null): void {
    if (this.child !== child || this.stopping || !this.state.live) return;
    const reason = `bpftrace exited (${signal ?? `code ${code}`}): ${this.stderrTail.at(-1) ?? ''}`;
    this.state = { live: false, reason };
    this.options.onError?.(this.unavailable(reason));
    if (this.restarts >= 1) return;
    this.restarts += 1;
    this.ready = this.launch();
    this.ready.catch(() => undefined);
  }

  private fail(reason: string): Promise<never> {
    this.state = { live: false, reason };
    const error = this.unavailable(reason);
    this.options.onError?.(error);
    return Promise.reject(error);
  }
}
