/**
 * The verdict of a run and its one-line-per-finding summary for people: `rogue` if any finding is
 * high or critical, `suspicious` if any is medium, else `clean`.
 */
import type { Finding, Severity } from '../events/index.js';
import type { Verdict } from '../report/index.js';
import { basename } from './lib/command.js';

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * @example verdictOf([{ severity: 'medium', ... }]) // 'suspicious'
 */
export function verdictOf(findings: readonly Pick<Finding, 'severity'>[]): Verdict {
  let worst = 0;
  for (const f of findings) worst = Math.max(worst, RANK[f.severity] ?? 0);
  if (worst >= RANK.high) return 'rogue';
  if (worst >= RANK.medium) return 'suspicious';
  return 'clean';
}

function outcome(f: Finding): string {
  const failed = f.actionTaken === false;
  switch (f.action) {
    case 'alert':
      return '';
    case 'kill':
      return failed ? 'kill failed' : 'killed';
    case 'freeze':
      return failed ? 'freeze failed' : 'sandbox frozen';
    case 'terminate':
      return failed ? 'terminate failed' : 'sandbox terminated';
  }
}

/** One line for a person, e.g. `critical mining: stratum to pool.rogue.test:3333 denied, 0 bytes sent, xmrig (pid 41) killed`. */
export function summarizeFinding(f: Finding): string {
  const detail = typeof f.evidence.detail === 'string' ? f.evidence.detail : f.reason;
  const who = f.exe ? basename(f.exe) : f.argv?.[0] ? basename(f.argv[0]) : undefined;
  const subject = who
    ? `${who}${f.pid === undefined ? '' : ` (pid ${f.pid})`}`
    : f.pid === undefined
      ? ''
      : `pid ${f.pid}`;
  const tail = [subject, outcome(f)].filter(Boolean).join(' ');
  return `${f.severity} ${f.category}: ${detail}${tail ? `, ${tail}` : ''}`;
}

/** Findings worst first, one line each. */
export function summarize(findings: readonly Finding[]): string[] {
  return [...findings]
    .sort((a, b) => RANK[b.severity] - RANK[a.severity] || a.ts - b.ts)
    .map(summarizeFinding);
}
