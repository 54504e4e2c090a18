/**
 * Small pure helpers for how things read on screen: severities, verdicts, categories, step and
 * episode labels, times and sizes. Kept free of the DOM so the node test suite covers them.
 */
import type { Finding, Severity, Verdict } from './types.js';

export const SEVERITY_ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/** Mirrors CATEGORIES in src/policy (a test keeps the two equal; the UI bundles no zod). */
export const CATEGORY_LIST = [
  'mining',
  'tunnel',
  'reverse-shell',
  'exfiltration',
  'credential-access',
  'persistence',
  'escape',
  'device-access',
  'recon',
  'defense-evasion',
  'resource-abuse',
  'policy',
  'reward-tampering',
] as const;

export function severityRank(severity: string): number {
  return SEVERITY_ORDER.indexOf(severity as Severity);
}

/** Same rule as detect's verdictOf: rogue on high or critical, suspicious on medium. */
export function verdictOf(findings: Iterable<Pick<Finding, 'severity'>>): Verdict {
  let worst = 0;
  for (const f of findings) worst = Math.max(worst, severityRank(f.severity));
  if (worst >= severityRank('high')) return 'rogue';
  if (worst >= severityRank('medium')) return 'suspicious';
  return 'clean';
}

const AUTO_STEP = /^step-[0-9a-f]{8}-[0-9a-z]{8}$/;

/**
 * How a person names a step: the trainer's id when it means something, else its position.
 * @example stepLabel('4', 1) // 'step 4'; stepLabel('step-1a2b3c4d-0000000f', 3) // 'step 3'
 */
export function stepLabel(stepId: string | undefined, ordinal: number | undefined): string {
  if (stepId === undefined) return 'outside any step';
  if (/^\d+$/.test(stepId)) return `step ${stepId}`;
  if (AUTO_STEP.test(stepId)) return ordinal === undefined ? 'step' : `step ${ordinal}`;
  return /^step\b/i.test(stepId) ? stepId : `step ${stepId}`;
}

export function episodeLabel(episodeId: string | undefined): string {
  if (episodeId === undefined) return 'no episode';
  return /^episode\b/i.test(episodeId) ? episodeId : `episode ${episodeId}`;
}

export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/** A command line as a person would type it (quotes only where needed). */
export function commandLine(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

export function formatClock(ts: number): string {
  const d = new Date(ts);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** "4 s ago", "12 min ago": for lists where the exact time matters less than freshness. */
export function formatAge(ts: number, now: number): string {
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
