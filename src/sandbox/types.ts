/**
 * The sandbox's public types: options, the hooks other layers plug in (network attachment,
 * monitor), and the one result shape every run and exec returns, flags included (execa style).
 */
import type { EventBus, ResourceLimitEvent } from '../events/index.js';
import type { Policy } from '../policy/index.js';

/** What the network layer hands a sandbox (`NetworkCordon.attach`); structural, so net/ owns it. */
export interface NetworkAttachment {
  /** A bind-mounted network namespace (`/run/netns/cordon-<id>`) the sandbox joins. */
  netnsPath: string;
  /** Variables added to the sandbox environment (HTTP_PROXY, ...). */
  env: Readonly<Record<string, string>>;
  /** Bound at /etc/resolv.conf when given. */
  resolvConfPath?: string | undefined;
}

/** What a monitor needs to attribute events to a sandbox. */
export interface WatchTarget {
  sandboxId: string;
  episodeId?: string | undefined;
  labels: Readonly<Record<string, string>>;
  /** cgroup v2 id (inode of the unified-hierarchy directory), for eBPF filters. */
  cgroupV2Id: number | null;
  cgroupPaths: readonly string[];
  /** Host pids of the sandbox's processes right now. */
  hostPids(): number[];
  /** The policy grants a GPU (`devices.gpu`). */
  gpu?: boolean;
}

/** The monitor layer's hook: register before the command starts, unregister after. */
export interface SandboxMonitor {
  watch(target: WatchTarget): Promise<() => void> | (() => void);
  /**
   * Publishes, before returning, what the monitor has been told but not read yet. Called at each
   * step boundary, before `step.start` and `step.end`: a monitor that reads in batches would
   * otherwise attribute a step's last events to the step after it.
   */
  drain?(): void;
}

export interface CgroupInfo {
  version: 'v1' | 'v2';
  paths: readonly string[];
  v2Id: number | null;
}

/** A host path bound into the sandbox besides the workspace (e.g. a grader at /.cordon/grader). */
export interface ExtraBind {
  /** Host path (file or directory); must exist. */
  host: string;
  /** Absolute path inside the sandbox. */
  target: string;
  /** Default true: bound read-only. */
  readOnly?: boolean;
}

export interface SandboxOptions {
  /** Resolved policy; default: the strict preset. */
  policy?: Policy;
  /** Default: a fresh random id. */
  sandboxId?: string;
  /** Host directory bound at /workspace; default: a fresh temp dir, removed afterwards. */
  workspace?: string;
  /** Keep the temp workspace after the run (ignored when `workspace` is given: never removed). */
  keepWorkspace?: boolean;
  bus?: EventBus;
  labels?: Record<string, string>;
  episodeId?: string;
  network?: NetworkAttachment;
  monitor?: SandboxMonitor;
  /** Home used to expand `~` in policy paths; default: $HOME of this process. */
  home?: string;
  /** Environment filtered through `env.allow`; default: process.env. */
  hostEnv?: Readonly<Record<string, string | undefined>>;
  /** SIGTERM-to-SIGKILL delay when ending the tree; default 2000. */
  graceMs?: number;
  /** Extra binds, after the workspace and before the denyRead masks; default none. */
  extraBinds?: readonly ExtraBind[];
}

/** Responder actions on a running sandbox (the detect layer calls these). */
export interface SandboxHandle {
  readonly sandboxId: string;
  readonly cgroup: CgroupInfo;
  hostPids(): number[];
  /** SIGKILL one process and its descendants; the sandbox lives on. */
  killTree(hostPid: number): Promise<number[]>;
  freeze(): Promise<void>;
  thaw(): void;
  /** End every process of the sandbox (SIGTERM, grace, SIGKILL); marks `killedByPolicy`. */
  terminate(reason: string): Promise<void>;
}

export interface RunOptions extends SandboxOptions {
  /** Collect stdout/stderr instead of passing them through. */
  capture?: boolean;
  /** Bytes fed to stdin (captured mode); default: stdin is passed through, or empty when capturing. */
  stdin?: string | Buffer;
  /** Keep the caller's terminal (no new session). */
  tty?: boolean;
  /** Overrides `policy.resources.timeoutMs`. */
  timeoutMs?: number;
  /** Cap per captured stream; default 16 MiB. */
  maxOutputBytes?: number;
  stepId?: string;
  /** Aborting ends the whole tree (SIGTERM, grace, SIGKILL) with reason `aborted`. */
  signal?: AbortSignal;
  /** Called once the command is starting, with handles for responders. */
  onStart?: (sandbox: SandboxHandle) => void;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  stepId?: string;
  timeoutMs?: number;
  /** Added over the sandbox environment for this exec. */
  env?: Record<string, string>;
  /** Inside the sandbox; default /workspace. */
  cwd?: string;
}

export interface DeniedSyscall {
  syscall: string;
  nr?: number | undefined;
  pid: number;
  exe?: string | undefined;
  argv?: string[] | undefined;
  ts: number;
}

export type LimitEvent = Pick<ResourceLimitEvent, 'limit' | 'detail' | 'ts' | 'pid'>;

/** How a command ended: one shape for success and failure. */
export interface ProcessOutcome {
  /** Exit status; null when ended by a signal. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Ended by a responder (`terminate`/`kill`) rather than on its own. */
  killedByPolicy: boolean;
  oomKilled: boolean;
  pidsLimited: boolean;
  outputTruncated: boolean;
  /** Captured output (capture mode and exec). */
  stdout?: string | undefined;
  stderr?: string | undefined;
  durationMs: number;
  deniedSyscalls: DeniedSyscall[];
  limitEvents: LimitEvent[];
  /** Why it was ended, when cordon ended it (timeout, policy reason). */
  reason?: string | undefined;
}

export interface RunResult extends ProcessOutcome {
  sandboxId: string;
  command: string[];
  /** The host workspace (already removed unless given or kept). */
  workspace: string;
  startedAt: Date;
  endedAt: Date;
  cgroup: 'v1' | 'v2';
  cpuMs: number;
  peakMemoryBytes: number;
  /** Most processes at once, bwrap and cordon-init included. */
  peakPids: number;
  /** What seccomp mode cordon-init reported: `notify` reports each denial, `errno` only denies. */
  seccomp: 'notify' | 'errno' | 'off' | 'unknown';
}

export interface ExecResult extends ProcessOutcome {
  stepId?: string | undefined;
  /** Pid of the exec'd process inside the sandbox. */
  pid: number | null;
}
