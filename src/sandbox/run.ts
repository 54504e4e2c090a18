/**
 * One-shot runs: `runSandboxed(argv, options)` puts one command in a fresh sandbox, enforces the
 * timeout on the whole tree, collects the outcome (exit, limits hit, denied syscalls, usage) and
 * always cleans up: no process, cgroup or temp workspace survives the returned promise.
 */
import type { LauncherProcess, LauncherStdio } from './fast-spawn.js';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { CordonError } from '../errors.js';
import type { Attribution } from '../events/index.js';
import type { CgroupUsage } from './cgroup.js';
import type { InitEvent } from './init-protocol.js';
import {
  cleanupSandbox,
  prepareSandbox,
  spawnSandbox,
  watchTarget,
  type PreparedSandbox,
} from './launch.js';
import {
  CappedOutput,
  readInitEvents,
  recordCgroupLimits,
  recordDenied,
  recordLimit,
} from './observe.js';
import { makeHandle } from './handle.js';
import type { DeniedSyscall, LimitEvent, RunOptions, RunResult } from './types.js';

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

interface RunState {
  timedOut: boolean;
  killedByPolicy: boolean;
  reason?: string;
  ready?: Extract<InitEvent, { type: 'ready' }>;
  exit?: Extract<InitEvent, { type: 'exit' }>;
  denied: DeniedSyscall[];
  limits: LimitEvent[];
  peakPids: number;
}

/**
 * Runs one command in a new sandbox.
 * @example const r = await runSandboxed(['sh', '-c', 'echo hi'], { capture: true });
 *   // r.exitCode === 0, r.stdout === 'hi\n'
 */
export async function runSandboxed(
  argv: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  if (argv.length === 0) throw new CordonError('CORDON_E_USAGE', 'No command to run');
  const startedAt = new Date();
  const prep = await prepareSandbox(options);
  const attribution: Attribution = {
    sandboxId: prep.sandboxId,
    episodeId: options.episodeId,
    stepId: options.stepId,
  };
  const state: RunState = {
    timedOut: false,
    killedByPolicy: false,
    denied: [],
    limits: [],
    peakPids: 0,
  };
  let unwatch: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    unwatch = options.monitor ? await options.monitor.watch(watchTarget(prep)) : undefined;
    const before = prep.cgroup.usage();
    const capture = options.capture === true;
    const child = await spawnSandbox(prep, {
      argv,
      tty: options.tty === true,
      stdio: stdioFor(options),
    });
    options.bus?.publish({
      kind: 'sandbox.start',
      ...attribution,
      detail: { command: [...argv], workspace: prep.workspace, labels: options.labels ?? {} },
    });
    const stdout = new CappedOutput(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
    const stderr = new CappedOutput(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
    if (capture) {
      (child.stdout as Readable).on('data', (c: Buffer) => stdout.push(c));
      (child.stderr as Readable).on('data', (c: Buffer) => stderr.push(c));
      feedStdin(child.stdin, options.stdin);
    }
    readInitEvents(child.stdio[3] as Readable, (event) =>
      onInitEvent(event, state, prep, attribution),
    );
    const handle = makeHandle(prep, child, options.graceMs, (reason) => {
      state.killedByPolicy = true;
      state.reason ??= reason;
    });
    options.onStart?.(handle);
    const onAbort = () => {
      state.reason ??= 'aborted';
      void handle.end();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const timeoutMs = options.timeoutMs ?? prep.policy.resources.timeoutMs;
    timer = setTimeout(() => {
      state.timedOut = true;
      state.reason ??= `timeout after ${timeoutMs} ms`;
      recordLimit('timeout', state.reason, state.limits, options.bus, attribution);
      void handle.end();
    }, timeoutMs);
    sampler = setInterval(() => {
      state.peakPids = Math.max(state.peakPids, prep.cgroup.pids().length);
    }, 250);
    const exit = await waitForClose(child);
    clearTimeout(timer);
    clearInterval(sampler);
    options.signal?.removeEventListener('abort', onAbort);
    // The init is gone, so its pid namespace is too; anything left (bwrap itself) is killed here.
    await prep.cgroup.kill();
    const after = prep.cgroup.usage();
    const flags = recordCgroupLimits(
      before,
      after,
      prep.policy.resources,
      state.limits,
      options.bus,
      attribution,
    );
    // cordon-init reports ready first thing: without it, cordon-launch or bwrap failed to set up.
    if (!state.ready && !state.timedOut && !state.killedByPolicy && state.reason === undefined) {
      const detail = capture ? stderr.text().trim() : '';
      throw new CordonError(
        'CORDON_E_SANDBOX_START',
        `The sandbox failed to start (exit ${String(exit.code)})${detail ? `: ${detail}` : ''}`,
      );
    }
    const result = buildResult(argv, prep, state, exit, startedAt, after, flags);
    if (capture) {
      Object.assign(result, {
        stdout: stdout.text(),
        stderr: stderr.text(),
        outputTruncated: stdout.truncated || stderr.truncated,
      });
    }
    options.bus?.publish({
      kind: 'sandbox.end',
      ...attribution,
      detail: { exitCode: result.exitCode, signal: result.signal, reason: result.reason },
    });
    return result;
  } finally {
    clearTimeout(timer);
    clearInterval(sampler);
    unwatch?.();
    await cleanupSandbox(prep);
  }
}

function stdioFor(options: RunOptions): LauncherStdio[] {
  if (options.capture)
    return [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', 'pipe'];
  return ['inherit', 'inherit', 'inherit', 'pipe'];
}

function feedStdin(stdin: Writable | null, data: string | Buffer | undefined): void {
  if (!stdin || data === undefined) return;
  stdin.on('error', () => {
    // the command exited without reading all of it: that is its business
  });
  stdin.end(data);
}

function onInitEvent(
  event: InitEvent,
  state: RunState,
  prep: PreparedSandbox,
  attribution: Attribution,
): void {
  switch (event.type) {
    case 'ready':
      state.ready = event;
      break;
    case 'exit':
      state.exit = event;
      break;
    case 'syscall_denied':
      recordDenied(event, state.denied, prep.options.bus, attribution);
      break;
  }
}

function waitForClose(
  child: LauncherProcess,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', (error) =>
      reject(new CordonError('CORDON_E_SANDBOX_START', error.message, { cause: error })),
    );
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

function buildResult(
  argv: readonly string[],
  prep: PreparedSandbox,
  state: RunState,
  launcher: { code: number | null; signal: string | null },
  startedAt: Date,
  usage: CgroupUsage,
  flags: { oomKilled: boolean; pidsLimited: boolean },
): RunResult {
  const endedAt = new Date();
  // cordon-init's exit event is exact; without it (init killed) bwrap's status is 128+signal.
  let exitCode = state.exit ? state.exit.code : launcher.code;
  let signal = state.exit ? state.exit.signal : launcher.signal;
  if (
    !state.exit &&
    exitCode !== null &&
    exitCode > 128 &&
    (state.timedOut || state.killedByPolicy)
  ) {
    signal = signalName(exitCode - 128);
    exitCode = null;
  }
  const oomReason = flags.oomKilled ? 'memory limit reached (OOM kill)' : undefined;
  return {
    sandboxId: prep.sandboxId,
    command: [...argv],
    workspace: prep.workspace,
    startedAt,
    endedAt,
    durationMs: endedAt.getTime() - startedAt.getTime(),
    exitCode,
    signal,
    timedOut: state.timedOut,
    killedByPolicy: state.killedByPolicy,
    oomKilled: flags.oomKilled,
    pidsLimited: flags.pidsLimited,
    outputTruncated: false,
    deniedSyscalls: state.denied,
    limitEvents: state.limits,
    reason: state.reason ?? oomReason,
    cgroup: prep.cgroup.version,
    cpuMs: usage.cpuMs,
    peakMemoryBytes: usage.peakMemoryBytes,
    peakPids: Math.max(state.peakPids, usage.peakPids),
    seccomp: state.ready?.seccomp ?? 'unknown',
  };
}

function signalName(n: number): string {
  const found = Object.entries(constants.signals).find(([, value]) => value === n);
  return found ? found[0] : `SIG${n}`;
}
