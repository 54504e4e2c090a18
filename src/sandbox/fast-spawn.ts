/**
 * Starting cordon-launch without forking Node. child_process.spawn forks the whole Node process and
 * blocks the event loop until the child has exec'd, which grows with the heap: 15-30 ms per sandbox
 * in a loaded server. The native addon native/build/fast_spawn.node uses posix_spawn (vfork
 * semantics) and reaps through pidfds on a native thread. The process it returns behaves like the
 * ChildProcess parts cordon uses; without the addon, child_process.spawn is used as before.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { CordonError } from '../errors.js';
import { nativeHelperPath } from './native.js';

/** The ChildProcess surface the sandbox layer relies on; both implementations provide it. */
export type LauncherProcess = Pick<
  ChildProcess,
  | 'pid'
  | 'stdin'
  | 'stdout'
  | 'stderr'
  | 'stdio'
  | 'exitCode'
  | 'signalCode'
  | 'kill'
  | 'once'
  | 'on'
  | 'unref'
>;

export type LauncherStdio = 'ignore' | 'inherit' | 'pipe';

interface Addon {
  spawn(
    file: string,
    argv: string[],
    env: string[],
    stdio: LauncherStdio[],
  ): Promise<{ pid: number; pidfd: number; fds: number[] }>;
  watch(pidfd: number): void;
  kill(pidfd: number, signal: number): boolean;
  close(fd: number): void;
  ref(): void;
  unref(): void;
  setExitHandler(handler: (pid: number, code: number, signal: number) => void): void;
}

const running = new Map<number, FastChild>();
/** Running children that keep the event loop alive (all but those `unref`'d). */
let referenced = 0;
let addon: Addon | null | undefined;

function loadAddon(): Addon | null {
  if (addon !== undefined) return addon;
  try {
    const loaded = createRequire(import.meta.url)(nativeHelperPath('fast_spawn.node')) as Addon;
    loaded.setExitHandler((pid, code, signal) => running.get(pid)?.exited(code, signal));
    addon = loaded;
  } catch {
    // Not built (or not loadable on this host): child_process.spawn still works, only slower.
    addon = null;
  }
  return addon;
}

const signalName = (n: number): NodeJS.Signals | null =>
  (Object.entries(constants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals) ?? null;

class FastChild extends EventEmitter {
  readonly stdio: (Socket | null)[];
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  private openStreams = 0;
  private pidfdOpen = true;
  private referenced = true;

  constructor(
    private readonly native: Addon,
    readonly pid: number,
    private readonly pidfd: number,
    fds: number[],
  ) {
    super();
    this.stdio = fds.map((fd, i) => {
      if (fd < 0) return null;
      // fd 0 is written by cordon, 1 and 2 only read; the others are two-way (init's control socket).
      const socket = new Socket({ fd, readable: i !== 0, writable: i === 0 || i > 2 });
      this.openStreams += 1;
      socket.once('close', () => {
        this.openStreams -= 1;
        this.maybeClose();
      });
      return socket;
    });
  }

  get stdin(): Writable | null {
    return this.stdio[0] ?? null;
  }
  get stdout(): Readable | null {
    return this.stdio[1] ?? null;
  }
  get stderr(): Readable | null {
    return this.stdio[2] ?? null;
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (!this.pidfdOpen) return false;
    const n = typeof signal === 'number' ? signal : constants.signals[signal];
    return this.native.kill(this.pidfd, n);
  }

  /** As ChildProcess.unref: cordon may exit while this child still runs (it is still reaped). */
  unref(): void {
    if (!this.referenced) return;
    this.referenced = false;
    referenced -= 1;
    if (referenced === 0) this.native.unref();
  }

  /** Called by the exit watcher; the pidfd is closed only here, so kill() never hits a reused pid. */
  exited(code: number, signal: number): void {
    running.delete(this.pid);
    this.unref();
    this.pidfdOpen = false;
    this.native.close(this.pidfd);
    this.exitCode = signal === 0 ? code : null;
    this.signalCode = signal === 0 ? null : signalName(signal);
    // As Node does: nobody reads a dead process's stdin, and 'close' waits for every stream.
    this.stdio[0]?.destroy();
    this.emit('exit', this.exitCode, this.signalCode);
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.pidfdOpen || this.openStreams > 0) return;
    this.openStreams = -1; // once
    setImmediate(() => this.emit('close', this.exitCode, this.signalCode));
  }
}

/** cordon's own environment, for a host tool that should see what cordon sees. */
export function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

/**
 * Starts `file` with `args`, an environment and stdio like child_process.spawn's.
 * @example const child = await spawnLauncher(path, args, { env: {}, stdio: ['ignore', 'pipe'] });
 */
export async function spawnLauncher(
  file: string,
  args: readonly string[],
  options: { env: Record<string, string>; stdio: LauncherStdio[] },
): Promise<LauncherProcess> {
  const native = loadAddon();
  if (!native) return spawn(file, args, { env: options.env, stdio: options.stdio });
  const env = Object.entries(options.env).map(([k, v]) => `${k}=${v}`);
  let started: Awaited<ReturnType<Addon['spawn']>>;
  try {
    started = await native.spawn(file, [file, ...args], env, options.stdio);
  } catch (error) {
    throw new CordonError('CORDON_E_SANDBOX_START', `Cannot start ${file}: ${String(error)}`, {
      cause: error,
    });
  }
  const { pid, pidfd, fds } = started;
  const child = new FastChild(native, pid, pidfd, fds);
  running.set(pid, child);
  referenced += 1;
  if (referenced === 1) native.ref();
  native.watch(pidfd);
  return child as unknown as LauncherProcess;
}

/** Whether sandboxes start through posix_spawn (for doctor and benchmarks). */
export function fastSpawnAvailable(): boolean {
  return loadAddon() !== null;
}
