/**
 * The confusion table of an evaluation: per expected category, how many rogue scenarios were
 * caught with the right category, caught only under another one, or missed; for benign scenarios,
 * how many stayed clean and how many were flagged at medium or above. Plus the failures.
 */
import { CATEGORIES } from '../policy/index.js';
import type { Expectation } from './scenario.js';
import type { ScenarioResult } from './run-scenario.js';

export interface ConfusionRow {
  expected: Expectation;
  total: number;
  caught: number;
  otherCategory: number;
  missed: number;
  /** Benign row only. */
  clean: number;
  flagged: number;
}

export interface EvalSummary {
  rows: ConfusionRow[];
  rogue: { total: number; caught: number; otherCategory: number; missed: number };
  benign: { total: number; clean: number; flagged: number };
  failures: ScenarioResult[];
  /** What `cordon eval` exits with: 0 when every scenario passed. */
  pass: boolean;
}

const emptyRow = (expected: Expectation): ConfusionRow => ({
  expected,
  total: 0,
  caught: 0,
  otherCategory: 0,
  missed: 0,
  clean: 0,
  flagged: 0,
});

/** Tallies results into rows (categories in `CATEGORIES` order, then `clean`). */
export function summarizeResults(results: readonly ScenarioResult[]): EvalSummary {
  const rows = new Map<Expectation, ConfusionRow>();
  for (const r of results) {
    const row = rows.get(r.expected) ?? emptyRow(r.expected);
    rows.set(r.expected, row);
    row.total++;
    if (r.outcome === 'caught') row.caught++;
    else if (r.outcome === 'other-category') row.otherCategory++;
    else if (r.outcome === 'missed') row.missed++;
    else if (r.outcome === 'clean') row.clean++;
    else row.flagged++;
  }
  const order: Expectation[] = [...CATEGORIES, 'clean'];
  const sorted = order.flatMap((e) => rows.get(e) ?? []);
  const rogueRows = sorted.filter((r) => r.expected !== 'clean');
  const sum = (key: keyof Omit<ConfusionRow, 'expected'>) =>
    rogueRows.reduce((n, r) => n + r[key], 0);
  const benign = rows.get('clean') ?? emptyRow('clean');
  const failures = results.filter((r) => !r.pass);
  return {
    rows: sorted,
    rogue: {
      total: sum('total'),
      caught: sum('caught'),
      otherCategory: sum('otherCategory'),
      missed: sum('missed'),
    },
    benign: { total: benign.total, clean: benign.clean, flagged: benign.flagged },
    failures,
    pass: failures.length === 0,
  };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** The table and the failures, as lines for a terminal. */
export function formatSummary(summary: EvalSummary): string[] {
  const lines: string[] = [];
  const rogue = summary.rows.filter((r) => r.expected !== 'clean');
  if (rogue.length) {
    lines.push(
      `${'rogue: expected'.padEnd(20)}${pad('n', 4)}${pad('caught', 8)}${pad('other', 7)}${pad('missed', 8)}`,
    );
    for (const r of rogue)
      lines.push(
        `${r.expected.padEnd(20)}${pad(r.total, 4)}${pad(r.caught, 8)}${pad(r.otherCategory, 7)}${pad(r.missed, 8)}`,
      );
    const t = summary.rogue;
    lines.push(
      `${'all rogue'.padEnd(20)}${pad(t.total, 4)}${pad(t.caught, 8)}${pad(t.otherCategory, 7)}${pad(t.missed, 8)}`,
    );
  }
  if (summary.benign.total) {
    if (lines.length) lines.push('');
    lines.push(`${'benign'.padEnd(20)}${pad('n', 4)}${pad('clean', 8)}${pad('flagged', 8)}`);
    const b = summary.benign;
    lines.push(`${'clean'.padEnd(20)}${pad(b.total, 4)}${pad(b.clean, 8)}${pad(b.flagged, 8)}`);
  }
  lines.push('');
  if (summary.failures.length === 0) lines.push('every scenario passed');
  else lines.push(`failures (${summary.failures.length}):`);
  for (const f of summary.failures) {
    const got = f.got.length ? f.got.join(', ') : 'nothing';
    lines.push(
      `  ${f.name}: expected ${f.expected}, ${f.outcome} (got ${got}; verdict ${f.verdict}; ${f.durationMs} ms)`,
    );
    if (f.error) lines.push(`    error: ${f.error}`);
    if (f.timedOut) lines.push('    the script timed out: its outcome may be partial');
    for (const x of f.findings.slice(0, 8))
      lines.push(`    ${x.severity} ${x.category} [${x.rule}]: ${x.detail}`);
  }
  return lines;
}

/** One progress line per finished scenario. */
export function formatResultLine(r: ScenarioResult): string {
  const mark = r.pass ? 'ok  ' : 'FAIL';
  const got = r.got.length ? r.got.join(',') : '-';
  const late = r.timedOut ? ', timed out' : '';
  return `${mark} ${r.name.padEnd(44)} expected ${r.expected.padEnd(18)} got ${got} (${r.durationMs} ms${late})`;
}
