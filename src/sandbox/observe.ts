/**
 * Turning what a sandbox reports into results and bus events: cordon-init's JSON lines on the
 * events fd (denied syscalls, readiness, exit) and the cgroup counters (OOM kills, pids limit).
 */
import type { Readable } from 'node:stream';
import type { Attribution, EventBus } from '../events/index.js';
import type { LimitHits } from './cgroup.js';
import { parseInitEventLine, type InitEvent } from './init-protocol.js';
import type { DeniedSyscall, LimitEvent } from './types.js';

/**
 * Calls `onEvent` for each well-formed JSON line read from cordon-init's events fd, and `onLine`
 * after every line (well-formed or not) with the number read so far.
 */
export function readInitEvents(
  stream: Readable,
  onEvent: (event: InitEvent) => void,
  onLine?: (lines: number) => void,
): void {
  let lines = 0;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const event = parseInitEventLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      if (event) onEvent(event);
      onLine?.(++lines);
      nl = pending.indexOf('\n');
    }
  });
  stream.on('error', () => {
    // the sandbox went away; its exit is handled elsewhere
  });
}

/** Records a denied syscall and publishes it as a `syscall` event with `denied: true`. */
export function recordDenied(
  event: Extract<InitEvent, { type: 'syscall_denied' }>,
  into: DeniedSyscall[],
  bus: EventBus | undefined,
  attribution: Attribution,
): void {
  const denied: DeniedSyscall = {
    syscall: event.syscall,
    nr: event.nr,
    pid: event.pid,
    exe: event.exe ?? undefined,
    argv: event.argv,
    ts: event.ts || Date.now(),
  };
  into.push(denied);
  bus?.publish({
    kind: 'syscall',
    ...attribution,
    ts: denied.ts,
    pid: denied.pid,
    exe: denied.exe,
    syscall: denied.syscall,
    args: { nr: denied.nr ?? -1, argv: (denied.argv ?? []).join(' ') },
    denied: true,
  });
}

/** Publishes and returns one limit event. */
export function recordLimit(
  limit: LimitEvent['limit'],
  detail: string,
  into: LimitEvent[],
  bus: EventBus | undefined,
  attribution: Attribution,
): void {
  const event: LimitEvent = { limit, detail, ts: Date.now() };
  into.push(event);
  bus?.publish({ kind: 'resource.limit', ...attribution, limit, detail, ts: event.ts });
}

/** Compares cgroup counters before and after, recording the limits that were hit. */
export function recordCgroupLimits(
  before: LimitHits,
  after: LimitHits,
  limits: { memoryMB: number; pids: number },
  into: LimitEvent[],
  bus: EventBus | undefined,
  attribution: Attribution,
): { oomKilled: boolean; pidsLimited: boolean } {
  const oomKills = after.oomKills - before.oomKills;
  const pidsHits = after.pidsLimitHits - before.pidsLimitHits;
  if (oomKills > 0) {
    const detail = `${oomKills} process(es) OOM-killed at memoryMB=${limits.memoryMB}`;
    recordLimit('memory', detail, into, bus, attribution);
  }
  if (pidsHits > 0) {
    const detail = `${pidsHits} fork(s) refused at pids=${limits.pids}`;
    recordLimit('pids', detail, into, bus, attribution);
  }
  return { oomKilled: oomKills > 0, pidsLimited: pidsHits > 0 };
}

/** Collects a stream up to `max` bytes, then drains and drops the rest. */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    if (this.size >= this.max) {
      this.truncated = true;
      return;
    }
    const room = this.max - this.size;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.truncated = true;
    this.chunks.push(part);
    this.size += part.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
