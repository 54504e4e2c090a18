/**
 * Test helpers for rules and the detector: event builders with sensible defaults and a
 * table runner that feeds setup events into a fresh SandboxState and checks one rule.
 */
import { expect, test } from 'vitest';
import type {
  CordonEvent,
  DnsQueryEvent,
  FileAccessEvent,
  NetDropEvent,
  NetFlowEvent,
  ProcessExecEvent,
  ResourceSampleEvent,
  SyscallEvent,
} from '../events/index.js';
import { resolvePolicy, type PolicyInput, type Policy } from '../policy/index.js';
import type { Rule, RuleHit } from './rule.js';
import { SandboxState } from './state.js';

export const T0 = 1_700_000_000_000;
let clock = T0;
let seq = 0;
const base = (ts?: number) => {
  seq += 1;
  clock = ts ?? clock + 1;
  return { id: `ev-${seq}`, ts: clock, sandboxId: 'sb-test' };
};

export function exec(argv: string[], extra: Partial<ProcessExecEvent> = {}): ProcessExecEvent {
  const exe = extra.exe ?? (argv[0]?.startsWith('/') ? argv[0] : `/usr/bin/${argv[0] ?? 'true'}`);
  return {
    ...base(extra.ts),
    kind: 'process.exec',
    pid: 100,
    ppid: 1,
    exe,
    argv,
    source: 'ebpf',
    ...extra,
  };
}

/** `sh -c SCRIPT`, as an agent's tool call usually arrives. */
export function sh(script: string, extra: Partial<ProcessExecEvent> = {}): ProcessExecEvent {
  return exec(['/bin/sh', '-c', script], { exe: '/usr/bin/dash', ...extra });
}

export function file(path: string, extra: Partial<FileAccessEvent> = {}): FileAccessEvent {
  return {
    ...base(extra.ts),
    kind: 'file.access',
    pid: 100,
    exe: '/usr/bin/cat',
    path,
    op: 'open',
    flags: 0,
    result: 0,
    ...extra,
  };
}

/** An open for writing (O_WRONLY|O_CREAT|O_TRUNC). */
export function write(path: string, extra: Partial<FileAccessEvent> = {}): FileAccessEvent {
  return file(path, { flags: 0o1101, ...extra });
}

export function flow(extra: Partial<NetFlowEvent> = {}): NetFlowEvent {
  return {
    ...base(extra.ts),
    kind: 'net.flow',
    flowId: `f-${seq}`,
    pid: 100,
    exe: '/usr/bin/curl',
    address: '198.18.0.5',
    port: 443,
    protocol: 'tls',
    decision: 'deny',
    rule: 'default-deny',
    bytesOut: 0,
    bytesIn: 0,
    durationMs: 0,
    phase: 'open',
    ...extra,
  };
}

export function dns(name: string, extra: Partial<DnsQueryEvent> = {}): DnsQueryEvent {
  return {
    ...base(extra.ts),
    kind: 'net.dns',
    name,
    qtype: 'A',
    decision: 'deny',
    tunnelScore: 0,
    ...extra,
  };
}

export function drop(extra: Partial<NetDropEvent> = {}): NetDropEvent {
  return {
    ...base(extra.ts),
    kind: 'net.drop',
    protocol: 'udp',
    address: '198.18.0.9',
    port: 53,
    ...extra,
  };
}

export function syscall(name: string, extra: Partial<SyscallEvent> = {}): SyscallEvent {
  return {
    ...base(extra.ts),
    kind: 'syscall',
    pid: 100,
    exe: '/usr/bin/x',
    syscall: name,
    denied: true,
    ...extra,
  };
}

export function sample(
  cpuCores: number,
  afterCommand: boolean,
  ts: number,
  gpuMemoryBytes?: number,
): ResourceSampleEvent {
  return {
    ...base(ts),
    kind: 'resource.sample',
    cpuMs: 0,
    cpuCores,
    memoryBytes: 0,
    pids: 3,
    afterCommand,
    ...(gpuMemoryBytes === undefined ? {} : { gpuMemoryBytes }),
  };
}

/** CPU samples every 500 ms from `from` for `ms` (with a GPU memory figure when given). */
export function cpuRun(
  cores: number,
  afterCommand: boolean,
  from: number,
  ms: number,
  gpuMemoryBytes?: number,
): ResourceSampleEvent[] {
  const out: ResourceSampleEvent[] = [];
  for (let t = from; t <= from + ms; t += 500)
    out.push(sample(cores, afterCommand, t, gpuMemoryBytes));
  return out;
}

export interface Row {
  name: string;
  /** Events folded into the state first. */
  given?: CordonEvent[];
  event: CordonEvent;
  policy?: PolicyInput;
}

/** Applies the setup and the event to a fresh state and runs the rule as the detector would. */
let defaultPolicy: Policy | undefined;

export function runRule(rule: Rule, row: Omit<Row, 'name'>): RuleHit | null {
  const policy: Policy = row.policy
    ? resolvePolicy(row.policy)
    : (defaultPolicy ??= resolvePolicy({}));
  const state = new SandboxState('sb-test', policy);
  for (const e of row.given ?? []) state.apply(e);
  state.apply(row.event);
  if (!rule.kinds.includes(row.event.kind)) return null;
  return rule.check(row.event, state);
}

/** A table-driven test: each `fires` row must produce a hit, each `passes` row must not. */
export function ruleTable(rule: Rule, rows: { fires: Row[]; passes: Row[] }): void {
  for (const row of rows.fires) {
    test(`${rule.id} fires: ${row.name}`, () => {
      const hit = runRule(rule, row);
      expect(hit, row.name).not.toBeNull();
      expect(hit!.detail.length).toBeGreaterThan(0);
    });
  }
  for (const row of rows.passes) {
    test(`${rule.id} stays quiet: ${row.name}`, () => {
      expect(runRule(rule, row), row.name).toBeNull();
    });
  }
}
