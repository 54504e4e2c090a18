/**
 * `cordon eval [--dir DIR] [--only a,b] [--json FILE]`: runs the detection scenario corpus and
 * prints a confusion table per category; exits 1 when a rogue scenario is missed (or caught only
 * under another category) or a benign one has a finding at medium or above. Its options are in
 * ../commands/eval.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  formatResultLine,
  formatSummary,
  runScenarios,
  summarizeResults,
} from '../../eval/index.js';
import { cordonPackageRoot } from '../../sandbox/index.js';
import { paint } from '../output.js';

export interface EvalFlags {
  dir?: string;
  only?: string;
  json?: string;
  concurrency: string;
  quiet?: boolean;
}

/**
 * Scenarios create network namespaces and send rogue traffic: they run only inside the throwaway
 * namespace with no uplink (network safety rules), so re-execute through scripts/isolated.sh.
 */
function reexecIsolated(): number {
  const script = join(cordonPackageRoot(), 'scripts', 'isolated.sh');
  const r = spawnSync(
    script,
    [process.execPath, ...process.execArgv, process.argv[1] ?? '', ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/** Runs the scenarios (inside scripts/isolated.sh); exits 1 unless every one passes. */
export async function evalAction(flags: EvalFlags): Promise<void> {
  if (process.env.CORDON_ISOLATED !== '1') {
    process.exitCode = reexecIsolated();
    return;
  }
  const dir = flags.dir
    ? resolve(flags.dir)
    : existsSync('test/scenarios')
      ? resolve('test/scenarios')
      : join(cordonPackageRoot(), 'test', 'scenarios');
  const only = flags.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const concurrency = Math.max(1, Number.parseInt(flags.concurrency, 10) || 1);
  const started = Date.now();
  const results = await runScenarios({
    dir,
    only,
    concurrency,
    onResult: (r) => {
      if (flags.quiet) return;
      const line = formatResultLine(r);
      process.stderr.write(`${r.pass ? line : paint.red(line)}\n`);
    },
    onWarning: (m) => process.stderr.write(paint.dim(`cordon: ${m}\n`)),
  });
  const summary = summarizeResults(results);
  process.stdout.write(`\n${formatSummary(summary).join('\n')}\n`);
  process.stdout.write(
    paint.dim(`${results.length} scenarios in ${((Date.now() - started) / 1000).toFixed(1)} s\n`),
  );
  if (flags.json) writeFileSync(flags.json, JSON.stringify({ summary, results }, null, 2) + '\n');
  process.exitCode = summary.pass ? 0 : 1;
}
