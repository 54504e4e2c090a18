/**
 * The typed events every source emits onto the bus. Each carries its attribution (sandbox, episode,
 * step) so that nothing downstream ever has to line up timestamps by hand.
 */
import type { Action, Category } from '../policy/index.js';

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export interface Attribution {
  sandboxId: string;
  episodeId?: string | undefined;
  stepId?: string | undefined;
}

interface EventBase extends Attribution {
  /** Unique per process lifetime; the audit store assigns its own sequence numbers. */
  id: string;
  /** Milliseconds since the epoch. */
  ts: number;
}

/** A program started inside the sandbox (eBPF exec tracepoint or the /proc sampler). */
export interface ProcessExecEvent extends EventBase {
  kind: 'process.exec';
  pid: number;
  ppid?: number | undefined;
  exe: string;
  argv: string[];
  cwd?: string | undefined;
  uid?: number | undefined;
  /** Where it came from: `ebpf` or `proc` (the sampler can miss short-lived processes). */
  source: 'ebpf' | 'proc';
  /** What fds 0, 1 and 2 were when seen (a socket on stdio is the reverse-shell shape). */
  stdio?: { stdin: FdKind; stdout: FdKind; stderr: FdKind } | undefined;
  /** True when argv[0]'s name is neither the executable's name nor a link to it (masquerading). */
  argv0Mismatch?: boolean | undefined;
}

/**
 * What a file descriptor points at: `socket` is a network (non-unix) socket, `unix` a unix-domain
 * one (how sandboxes and node pass stdio), `none` a closed fd.
 */
export type FdKind = 'socket' | 'unix' | 'tty' | 'pipe' | 'file' | 'null' | 'none';

export interface ProcessExitEvent extends EventBase {
  kind: 'process.exit';
  pid: number;
  exitCode?: number | undefined;
  signal?: string | undefined;
}

/** A sensitive file or device was opened (or an open failed). */
export interface FileAccessEvent extends EventBase {
  kind: 'file.access';
  pid: number;
  exe?: string | undefined;
  path: string;
  op: 'open' | 'write' | 'chmod' | 'unlink' | 'rename';
  flags?: number | undefined;
  /** 0 on success, else the negative errno. */
  result: number;
}

/** A syscall (other than file ops) worth a rule: ptrace, mount, unshare, setns, memfd_create, kill, bpf. */
export interface SyscallEvent extends EventBase {
  kind: 'syscall';
  pid: number;
  exe?: string | undefined;
  syscall: string;
  args?: Record<string, number | string> | undefined;
  /** True when cordon's seccomp filter denied it with EPERM. */
  denied: boolean;
}

export type FlowDecision = 'allow' | 'deny';

/** One TCP flow leaving the sandbox, as seen by the transparent proxy. */
export interface NetFlowEvent extends EventBase {
  kind: 'net.flow';
  flowId: string;
  pid?: number | undefined;
  exe?: string | undefined;
  /** The name the program resolved through cordon's DNS, when known. */
  host?: string | undefined;
  address: string;
  port: number;
  protocol: string;
  sni?: string | undefined;
  httpHost?: string | undefined;
  /** Extra facts from the classifier (ALPN, method, stratum method, SSH version, CONNECT target). */
  details?: Record<string, unknown> | undefined;
  decision: FlowDecision;
  /** The policy entry or built-in rule that decided. */
  rule: string;
  bytesOut: number;
  bytesIn: number;
  durationMs: number;
  /** `open` when first decided, `close` with final byte counts. */
  phase: 'open' | 'close';
}

export interface DnsQueryEvent extends EventBase {
  kind: 'net.dns';
  name: string;
  qtype: string;
  answer?: string | undefined;
  decision: FlowDecision;
  /** 0..1: how much the name looks like a DNS tunnel. */
  tunnelScore: number;
  /** The resolver the program addressed (anything but cordon's is blocked). */
  resolver?: string | undefined;
}

/** A packet that is neither TCP nor DNS (UDP, ICMP, IPv6) dropped at the veth. */
export interface NetDropEvent extends EventBase {
  kind: 'net.drop';
  protocol: string;
  address: string;
  port?: number | undefined;
}

export interface ResourceLimitEvent extends EventBase {
  kind: 'resource.limit';
  limit: 'memory' | 'pids' | 'timeout' | 'cpu' | 'tmp';
  detail: string;
  pid?: number | undefined;
}

export interface ResourceSampleEvent extends EventBase {
  kind: 'resource.sample';
  cpuMs: number;
  /** CPU over the last window, in cores (1.0 = one core busy). */
  cpuCores: number;
  memoryBytes: number;
  pids: number;
  /** True once the agent's own command has returned. */
  afterCommand: boolean;
  /**
   * GPU memory held by the sandbox's processes (nvidia-smi, read at most a second earlier). Only
   * on sandboxes granted a GPU, on hosts where it can be read.
   */
  gpuMemoryBytes?: number;
}

/** Lifecycle of a sandbox or a step (exec). */
export interface LifecycleEvent extends EventBase {
  kind: 'sandbox.start' | 'sandbox.end' | 'step.start' | 'step.end';
  detail?: Record<string, unknown> | undefined;
}

/** A detection finding, also carried on the bus so the audit trail and the API see it live. */
export interface FindingEvent extends EventBase {
  kind: 'finding';
  finding: Finding;
}

export type CordonEvent =
  | ProcessExecEvent
  | ProcessExitEvent
  | FileAccessEvent
  | SyscallEvent
  | NetFlowEvent
  | DnsQueryEvent
  | NetDropEvent
  | ResourceLimitEvent
  | ResourceSampleEvent
  | LifecycleEvent
  | FindingEvent;

export type EventKind = CordonEvent['kind'];

/** What a rule concluded, with the evidence a person needs. Shape fixed by the report schema. */
export interface Finding {
  id: string;
  rule: string;
  category: Category;
  severity: Severity;
  attack: string[];
  reason: string;
  action: Action;
  /** Whether the action was carried out (a kill can fail when the process already exited). */
  actionTaken?: boolean | undefined;
  ts: number;
  sandboxId: string;
  episodeId?: string | undefined;
  stepId?: string | undefined;
  pid?: number | undefined;
  exe?: string | undefined;
  argv?: string[] | undefined;
  evidence: Record<string, unknown>;
  /** Ids of the events that triggered it. */
  eventIds: string[];
}

/** Events without the fields the bus fills in. */
export type NewEvent<E extends CordonEvent = CordonEvent> = E extends CordonEvent
  ? Omit<E, 'id' | 'ts'> & { id?: string; ts?: number }
  : never;

/** Where cordon's init lives inside every sandbox: a process with this exe is cordon's, never the agent's. */
export const SANDBOX_INIT_PATH = '/.cordon/init';
