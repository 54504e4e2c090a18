/**
 * Live sandboxes: `Sandbox.create()` starts cordon-init in server mode and keeps it; `exec()` runs
 * commands in the same namespaces (several at once, each attributed to a step); responders can
 * kill a tree, freeze, thaw or terminate; `destroy()` removes everything.
 */
import type { LauncherProcess } from './fast-spawn.js';
import type { Duplex, Readable } from 'node:stream';
import { CordonError } from '../errors.js';
import type { Attribution } from '../events/index.js';
import { makeHandle, type InternalHandle } from './handle.js';
import { InitClient, type InitEvent } from './init-protocol.js';
import {
  cleanupSandbox,
  prepareSandbox,
  spawnSandbox,
  watchTarget,
  type PreparedSandbox,
} from './launch.js';
import { WORKSPACE_DIR } from './mounts.js';
import { readInitEvents, recordCgroupLimits, recordDenied, recordLimit } from './observe.js';
import type {
  CgroupInfo,
  DeniedSyscall,
  ExecOptions,
  ExecResult,
  LimitEvent,
  SandboxHandle,
  SandboxOptions,
} from './types.js';

const START_TIMEOUT_MS = 10_000;
const STDERR_TAIL = 4096;
/** How long a start failure waits for the rest of the launcher's stderr, which explains it. */
const STDERR_DRAIN_MS = 500;
/** Bound on waiting for the events pipe to catch up with an exit (it only lags by a loop turn). */
const EVENTS_CATCH_UP_MS = 1000;

type State = 'running' | 'ended' | 'destroyed';

export class Sandbox implements SandboxHandle {
  private state: State = 'running';
  private policyReason: string | undefined;
  private readonly denied: DeniedSyscall[] = [];
  private readonly steps = new Set<string | undefined>();
  private destroying: Promise<void> | undefined;
  private unwatch: (() => void) | undefined;
  private nextExecId = 1;
  /** Lines read from cordon-init's events fd, and execs waiting for it to reach a count. */
  private eventLines = 0;
  /** The events fd reached its end: nothing more will come, so no exec waits for it. */
  private eventsEnded = false;
  private readonly lineWaiters = new Set<{ target: number; done: () => void }>();

  private readonly handle: InternalHandle;

  private constructor(
    private readonly prep: PreparedSandbox,
    private readonly child: LauncherProcess,
    private readonly client: InitClient,
  ) {
    this.handle = makeHandle(prep, child, prep.options.graceMs, (reason) => {
      this.policyReason ??= reason;
    });
  }

  /**
   * Starts a live sandbox and waits until cordon-init has installed its filter.
   * @example const sb = await Sandbox.create({ policy }); await sb.exec(['ls']); await sb.destroy();
   */
  static async create(options: SandboxOptions = {}): Promise<Sandbox> {
    const prep = await prepareSandbox(options);
    let child: LauncherProcess | undefined;
    let unwatch: (() => void) | undefined;
    try {
      unwatch = options.monitor ? await options.monitor.watch(watchTarget(prep)) : undefined;
      child = await spawnSandbox(prep, {
        tty: false,
        stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      });
      const client = new InitClient(child.stdio[4] as Duplex);
      const sandbox = new Sandbox(prep, child, client);
      sandbox.unwatch = unwatch;
      await sandbox.waitReady(child);
      options.bus?.publish({
        kind: 'sandbox.start',
        ...sandbox.attribution(undefined),
        detail: { workspace: prep.workspace, labels: options.labels ?? {}, live: true },
      });
      return sandbox;
    } catch (error) {
      child?.kill('SIGKILL');
      unwatch?.();
      await cleanupSandbox(prep);
      throw error;
    }
  }

  get sandboxId(): string {
    return this.prep.sandboxId;
  }

  get workspace(): string {
    return this.prep.workspace;
  }

  get cgroup(): CgroupInfo {
    return this.handle.cgroup;
  }

  private attribution(stepId: string | undefined): Attribution {
    return { sandboxId: this.prep.sandboxId, episodeId: this.prep.options.episodeId, stepId };
  }

  private waitReady(child: LauncherProcess): Promise<void> {
    let stderr = '';
    (child.stderr as Readable).on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-STDERR_TAIL);
    });
    return new Promise((resolve, reject) => {
      const fail = (why: string) =>
        reject(
          new CordonError('CORDON_E_SANDBOX_START', `${why}${stderr ? `: ${stderr.trim()}` : ''}`),
        );
      let ready = false;
      const timer = setTimeout(() => fail('cordon-init did not report ready'), START_TIMEOUT_MS);
      child.once('error', (error) => fail(error.message));
      child.once('exit', () => {
        clearTimeout(timer);
        if (this.state === 'running') this.state = 'ended';
        if (ready) return; // an ordinary end, long after the start
        // stderr may still be draining (a loaded host can take more than a tick): report once
        // it ends, or after STDERR_DRAIN_MS if something else still holds it open.
        const stream = child.stderr as Readable;
        const report = () => fail('the sandbox exited during start');
        if (stream.readableEnded) return report();
        const bound = setTimeout(report, STDERR_DRAIN_MS).unref();
        stream.once('end', () => {
          clearTimeout(bound);
          report();
        });
      });
      const events = child.stdio[3] as Readable;
      readInitEvents(
        events,
        (event) => {
          if (event.type === 'ready') {
            ready = true;
            clearTimeout(timer);
            resolve();
          }
          this.onInitEvent(event);
        },
        (lines) => {
          this.eventLines = lines;
          for (const w of this.lineWaiters) if (lines >= w.target) w.done();
        },
      );
      events.once('close', () => {
        this.eventsEnded = true;
        for (const w of this.lineWaiters) w.done();
      });
    });
  }

  private eventsReached(target: number): Promise<void> {
    if (this.eventLines >= target || this.eventsEnded) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        target,
        done: () => {
          clearTimeout(timer);
          this.lineWaiters.delete(waiter);
          resolve();
        },
      };
      // The events reader gone (cordon-init overflowed or died) must not hang the exec.
      const timer = setTimeout(waiter.done, EVENTS_CATCH_UP_MS);
      this.lineWaiters.add(waiter);
    });
  }

  private onInitEvent(event: InitEvent): void {
    if (event.type !== 'syscall_denied') return;
    // With one step running the denial is its; with several, only the sandbox is certain.
    const stepId = this.steps.size === 1 ? [...this.steps][0] : undefined;
    recordDenied(event, this.denied, this.prep.options.bus, this.attribution(stepId));
  }

  /**
   * Runs a command in the sandbox and waits for it.
   * @example const r = await sb.exec(['sh', '-c', 'echo $HOME'], { stepId: 'tool-1' }); // r.stdout === '/workspace\n'
   */
  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (this.state !== 'running') {
      throw new CordonError('CORDON_E_SANDBOX_STATE', `Sandbox ${this.sandboxId} is ${this.state}`);
    }
    if (argv.length === 0) throw new CordonError('CORDON_E_USAGE', 'No command to run');
    const { bus } = this.prep.options;
    const attribution = this.attribution(options.stepId);
    const started = Date.now();
    const deniedBefore = this.denied.length;
    const hitsBefore = this.prep.cgroup.limitHits();
    const limits: LimitEvent[] = [];
    let timedOut = false;
    const execId = this.nextExecId++;
    this.prep.options.monitor?.drain?.();
    this.steps.add(options.stepId);
    bus?.publish({ kind: 'step.start', ...attribution, detail: { argv: [...argv] } });
    const timeoutMs = options.timeoutMs ?? this.prep.policy.resources.timeoutMs;
    const graceMs = this.prep.options.graceMs ?? 2000;
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      recordLimit('timeout', `exec timed out after ${timeoutMs} ms`, limits, bus, attribution);
      this.client.kill(execId, 'SIGTERM');
      killTimer = setTimeout(() => this.client.kill(execId, 'SIGKILL'), graceMs);
    }, timeoutMs);
    let outcome: Pick<
      ExecResult,
      'exitCode' | 'signal' | 'pid' | 'stdout' | 'stderr' | 'outputTruncated'
    >;
    try {
      const r = await this.client.exec({
        argv,
        env: { ...this.prep.env, ...options.env },
        cwd: options.cwd ?? WORKSPACE_DIR,
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
        id: execId,
      });
      // cordon-init writes a denial's event before the syscall returns, so before the exit frame,
      // whose count says how many lines precede it: the two travel on different pipes.
      await this.eventsReached(r.eventsWritten);
      outcome = {
        exitCode: r.code,
        signal: r.signal,
        pid: r.pid,
        stdout: r.stdout.toString('utf8'),
        stderr: r.stderr.toString('utf8'),
        outputTruncated: r.outputTruncated,
      };
    } catch (error) {
      if (this.policyReason === undefined && this.state === 'running') throw error;
      // The sandbox was ended under the exec: an outcome, not an error.
      outcome = {
        exitCode: null,
        signal: 'SIGKILL',
        pid: null,
        stdout: '',
        stderr: '',
        outputTruncated: false,
      };
    } finally {
      clearTimeout(timer);
      clearTimeout(killTimer);
      this.steps.delete(options.stepId);
    }
    const flags = recordCgroupLimits(
      hitsBefore,
      this.prep.cgroup.limitHits(),
      this.prep.policy.resources,
      limits,
      bus,
      attribution,
    );
    const result: ExecResult = {
      ...outcome,
      stepId: options.stepId,
      timedOut,
      killedByPolicy: this.policyReason !== undefined,
      ...flags,
      durationMs: Date.now() - started,
      deniedSyscalls: this.denied.slice(deniedBefore),
      limitEvents: limits,
      reason: timedOut ? `exec timed out after ${timeoutMs} ms` : this.policyReason,
    };
    this.prep.options.monitor?.drain?.();
    bus?.publish({
      kind: 'step.end',
      ...attribution,
      detail: {
        exitCode: result.exitCode,
        signal: result.signal,
        timedOut,
        durationMs: result.durationMs,
      },
    });
    return result;
  }

  hostPids(): number[] {
    return this.handle.hostPids();
  }

  killTree(hostPid: number): Promise<number[]> {
    return this.handle.killTree(hostPid);
  }

  freeze(): Promise<void> {
    return this.handle.freeze();
  }

  thaw(): void {
    this.handle.thaw();
  }

  /** Ends every process (SIGTERM, grace, SIGKILL); running execs report `killedByPolicy`. */
  async terminate(reason: string): Promise<void> {
    if (this.state === 'destroyed') return;
    await this.handle.terminate(reason);
    if (this.state === 'running') this.state = 'ended';
  }

  /** Ends everything and removes the cgroup and (own) workspace. Safe to call twice. */
  destroy(): Promise<void> {
    this.destroying ??= this.doDestroy();
    return this.destroying;
  }

  private async doDestroy(): Promise<void> {
    this.state = 'destroyed';
    // Closing the control socket makes cordon-init kill every process and exit.
    this.client.close();
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
    await Promise.race([exited, timeout]);
    try {
      await cleanupSandbox(this.prep);
    } finally {
      this.unwatch?.();
      this.prep.options.bus?.publish({
        kind: 'sandbox.end',
        ...this.attribution(undefined),
        detail: { reason: this.policyReason ?? 'destroyed' },
      });
    }
  }
}
