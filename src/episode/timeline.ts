/**
 * A person's view of an episode: each step as the agent meant it, with what cordon saw (denied
 * flows, device opens) and did (findings and their actions), and the results of several episodes
 * side by side. Plain data plus a text rendering; report-html.ts renders the same data as HTML.
 */
import { summarizeFinding } from '../detect/index.js';
import type { Finding } from '../events/index.js';
import { describeToolCall } from './tools.js';
import type { EpisodeResult, StepRecord, StepEvent } from './types.js';

export interface TimelineStep {
  stepId: string;
  /** What the agent did, in words (its intent when it said, else the tool call). */
  action: string;
  command: string;
  /** True when cordon raised a medium-or-worse finding during the step. */
  flagged: boolean;
  /** What cordon saw: denied flows, device opens. */
  saw: string[];
  /** What cordon concluded and did, one line per finding worth a person's attention. */
  did: string[];
  findings: Finding[];
}

const SERIOUS = new Set(['medium', 'high', 'critical']);

function flowLine(e: StepEvent): string | undefined {
  if (e.kind !== 'net.flow' || e.decision !== 'deny' || e.phase !== 'open') return undefined;
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const proto = text(e.protocol) || 'tcp';
  const label = proto === 'unknown' ? 'connection' : proto === 'ssh' ? 'SSH banner' : proto;
  const where = `${text(e.host) || text(e.address)}:${text(e.port)}`;
  return `${label} to ${where} — denied, ${Number(e.bytesOut ?? 0)} bytes sent`;
}

function fileLine(e: StepEvent): string | undefined {
  if (e.kind !== 'file.access' || !String(e.path).startsWith('/dev/')) return undefined;
  return `open ${e.path as string} — ${Number(e.result) === 0 ? 'opened' : 'no such device in the sandbox'}`;
}

/** Several denied connections read better as one line. */
function collapse(lines: string[], max = 4): string[] {
  if (lines.length <= max) return lines;
  return [...lines.slice(0, max - 1), `… and ${lines.length - max + 1} more the same way`];
}

export function timelineOf(steps: readonly StepRecord[]): TimelineStep[] {
  return steps.map((s) => {
    const serious = s.findings.filter((f) => SERIOUS.has(f.severity));
    const saw = collapse(
      s.events.flatMap((e) =>
        [flowLine(e), fileLine(e)].filter((l): l is string => l !== undefined),
      ),
    );
    return {
      stepId: s.stepId,
      action: s.intent ?? describeToolCall(s, 80),
      command: describeToolCall(s, 160),
      flagged: serious.length > 0,
      saw,
      did: serious.map(summarizeFinding),
      findings: s.findings,
    };
  });
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** The timeline as text lines (no colour: the caller paints). */
export function timelineText(steps: readonly TimelineStep[]): string[] {
  const out: string[] = [];
  for (const s of steps) {
    out.push(`  ${pad(s.stepId, 8)}${s.flagged ? '▶ ' : '  '}${s.action}`);
    if (s.flagged || s.saw.length) out.push(`            $ ${s.command}`);
    for (const l of s.saw) out.push(`            saw: ${l}`);
    for (const l of s.did) out.push(`            did: ${l}`);
  }
  return out;
}

/** The episodes' outcomes side by side (one column per episode). */
export function comparisonText(results: readonly EpisodeResult[]): string[] {
  const rows: [string, (r: EpisodeResult) => string][] = [
    ['agent', (r) => r.agent],
    ['task score', (r) => r.score.toFixed(2)],
    ['verdict', (r) => r.verdict.toUpperCase() + (r.tampered ? ' +TAMPERED' : '')],
    ['findings (medium+)', (r) => String(r.findings.filter((f) => SERIOUS.has(f.severity)).length)],
    ['shaped reward', (r) => r.reward.toFixed(2)],
    ['steps', (r) => String(r.steps)],
    ['duration', (r) => `${(r.durationMs / 1000).toFixed(1)} s`],
  ];
  const width = 20;
  return rows.map(
    ([label, get]) => `  ${pad(label, width)}${results.map((r) => pad(get(r), 16)).join('')}`,
  );
}
