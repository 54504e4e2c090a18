/**
 * Events and findings in words: one line each, the way a person would say it
 * ("episode 12, step 4: SSH to c2.rogue.test:22 denied, ssh (pid 41) killed"). Pure functions.
 */
import {
  basename,
  clip,
  commandLine,
  episodeLabel,
  formatBytes,
  formatDuration,
  stepLabel,
} from './format.js';
import type { CordonEvent, Finding } from './types.js';

export type Tone = 'plain' | 'muted' | 'ok' | 'warn' | 'deny';

export interface EventLine {
  /** A short tag for the kind of thing: `exec`, `net`, `dns`, `file`, `syscall`, … */
  tag: string;
  text: string;
  tone: Tone;
}

/** What the finding saw, in one line (the rule's detail, else its reason). */
export function findingDetail(f: Finding): string {
  const detail = f.evidence['detail'];
  return typeof detail === 'string' && detail !== '' ? detail : f.reason;
}

/** What cordon did about it: "ssh (pid 41) killed", "sandbox frozen", or '' for an alert. */
export function findingOutcome(f: Finding): string {
  const who = f.exe ? basename(f.exe) : f.argv?.[0] ? basename(f.argv[0]) : undefined;
  const failed = f.actionTaken === false;
  switch (f.action) {
    case 'alert':
      return '';
    case 'kill': {
      const subject = who ? `${who}${f.pid === undefined ? '' : ` (pid ${f.pid})`}` : 'process';
      return `${subject} ${failed ? 'kill failed' : 'killed'}`;
    }
    case 'freeze':
      return failed ? 'freeze failed' : 'sandbox frozen';
    case 'terminate':
      return failed ? 'terminate failed' : 'sandbox terminated';
  }
}

/**
 * The line a person reads first.
 * @example findingHeadline(f, 4) // 'episode 12, step 4: SSH to c2.rogue.test:22 denied, ssh killed'
 */
export function findingHeadline(f: Finding, stepOrdinal?: number): string {
  const where = [
    f.episodeId === undefined ? undefined : episodeLabel(f.episodeId),
    f.stepId === undefined ? undefined : stepLabel(f.stepId, stepOrdinal),
  ].filter(Boolean);
  const outcome = findingOutcome(f);
  const what = findingDetail(f) + (outcome ? `, ${outcome}` : '');
  return where.length > 0 ? `${where.join(', ')}: ${what}` : `sandbox ${f.sandboxId}: ${what}`;
}

function who(exe: string | undefined, pid: number | undefined): string {
  const name = exe ? basename(exe) : undefined;
  if (name && pid !== undefined) return `${name} (pid ${pid})`;
  return name ?? (pid === undefined ? '' : `pid ${pid}`);
}

function destination(e: { host?: string | undefined; address: string; port?: number | undefined }) {
  const host = e.host ?? e.address;
  return e.port === undefined ? host : `${host}:${e.port}`;
}

/** One line for any event on the timeline. */
export function describeEvent(e: CordonEvent): EventLine {
  switch (e.kind) {
    case 'process.exec':
      return {
        tag: 'exec',
        text: `${clip(commandLine(e.argv.length > 0 ? e.argv : [e.exe]), 240)}  · pid ${e.pid}`,
        tone: 'plain',
      };
    case 'process.exit': {
      const how = e.signal ? `killed by ${e.signal}` : `exited ${e.exitCode ?? '?'}`;
      return { tag: 'exit', text: `pid ${e.pid} ${how}`, tone: e.signal ? 'warn' : 'muted' };
    }
    case 'file.access': {
      const failed = e.result < 0 ? ` failed (errno ${-e.result})` : '';
      const by = who(e.exe, e.pid);
      return {
        tag: 'file',
        text: `${e.op} ${e.path}${failed}${by ? ` by ${by}` : ''}`,
        tone: e.result < 0 ? 'warn' : 'plain',
      };
    }
    case 'syscall': {
      const by = who(e.exe, e.pid);
      return {
        tag: 'syscall',
        text: `${e.syscall}() ${e.denied ? 'denied by seccomp' : 'called'}${by ? ` by ${by}` : ''}`,
        tone: e.denied ? 'deny' : 'warn',
      };
    }
    case 'net.flow': {
      const proto = e.protocol && e.protocol !== 'unknown' ? e.protocol.toUpperCase() : 'TCP';
      const sni = e.sni && e.sni !== e.host ? ` (SNI ${e.sni})` : '';
      const verb = e.decision === 'deny' ? 'denied' : 'allowed';
      const bytes =
        e.phase === 'close'
          ? `, ${formatBytes(e.bytesOut)} out, ${formatBytes(e.bytesIn)} in, ${formatDuration(e.durationMs)}`
          : '';
      const by = who(e.exe, e.pid);
      return {
        tag: 'net',
        text: `${proto} to ${destination(e)}${sni} ${verb}${bytes}${by ? ` · ${by}` : ''}`,
        tone: e.decision === 'deny' ? 'deny' : 'ok',
      };
    }
    case 'net.dns': {
      const answer = e.decision === 'deny' ? 'denied' : `→ ${e.answer ?? 'no answer'}`;
      const tunnel =
        e.tunnelScore >= 0.5 ? ` · looks like a tunnel (${e.tunnelScore.toFixed(2)})` : '';
      return {
        tag: 'dns',
        text: `${e.qtype} ${e.name} ${answer}${tunnel}`,
        tone: e.decision === 'deny' ? 'deny' : 'ok',
      };
    }
    case 'net.drop':
      return {
        tag: 'drop',
        text: `${e.protocol} to ${destination(e)} dropped`,
        tone: 'deny',
      };
    case 'resource.limit':
      return { tag: 'limit', text: `${e.limit} limit: ${e.detail}`, tone: 'warn' };
    case 'resource.sample':
      return {
        tag: 'usage',
        text: `${e.cpuCores.toFixed(2)} cores, ${formatBytes(e.memoryBytes)}, ${e.pids} processes`,
        tone: 'muted',
      };
    case 'sandbox.start':
      return { tag: 'sandbox', text: 'sandbox started', tone: 'muted' };
    case 'sandbox.end': {
      const reason = typeof e.detail?.['reason'] === 'string' ? `: ${e.detail['reason']}` : '';
      return { tag: 'sandbox', text: `sandbox ended${reason}`, tone: 'muted' };
    }
    case 'step.start': {
      const argv = e.detail?.['argv'];
      const cmd = Array.isArray(argv) ? commandLine(argv.map(String)) : '';
      return { tag: 'step', text: `started ${clip(cmd, 240)}`, tone: 'muted' };
    }
    case 'step.end':
      return { tag: 'step', text: stepOutcome(e.detail), tone: 'muted' };
    case 'finding':
      return {
        tag: e.finding.severity,
        text: findingDetail(e.finding) + suffix(findingOutcome(e.finding)),
        tone: 'deny',
      };
  }
}

function suffix(s: string): string {
  return s ? `, ${s}` : '';
}

/** "exit 0 · 12 ms", "killed by SIGKILL · 2.0 s", "timed out". */
export function stepOutcome(detail: Record<string, unknown> | undefined): string {
  if (!detail) return 'ended';
  const parts: string[] = [];
  if (detail['timedOut'] === true) parts.push('timed out');
  if (typeof detail['signal'] === 'string') parts.push(`killed by ${detail['signal']}`);
  else if (typeof detail['exitCode'] === 'number') parts.push(`exit ${detail['exitCode']}`);
  if (typeof detail['durationMs'] === 'number') parts.push(formatDuration(detail['durationMs']));
  return parts.join(' · ') || 'ended';
}
