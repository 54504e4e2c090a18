/**
 * `cordon run`: one command in a sandbox, a verdict, a JSON report (its options are in
 * ../commands/run.ts).
 */
import { writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { summarize } from '../../detect/index.js';
import { CordonError } from '../../errors.js';
import {
  loadPolicyFile,
  presetPolicy,
  PresetNameSchema,
  resolvePolicy,
  type Policy,
} from '../../policy/index.js';
import type { Report } from '../../report/index.js';
import { CordonRuntime, type MonitorMode, type NetworkMode } from '../../runtime/index.js';
import type { RunResult } from '../../sandbox/index.js';
import { EXIT } from '../exit-codes.js';
import { paint } from '../output.js';

export interface RunFlags {
  policy?: string;
  preset?: string;
  workspace?: string;
  keepWorkspace?: boolean;
  report?: string;
  tty?: boolean;
  timeout?: string;
  label: string[];
  episode?: string;
  network: NetworkMode;
  monitor: MonitorMode;
  dataDir?: string;
  audit: boolean;
  quiet?: boolean;
}

/** Resolves --policy and --preset into one policy (the file's own preset wins unless --preset is given). */
export function policyFromFlags(flags: { policy?: string; preset?: string }): Policy {
  if (flags.preset !== undefined && !PresetNameSchema.safeParse(flags.preset).success) {
    throw new CordonError(
      'CORDON_E_PRESET_UNKNOWN',
      `No such preset: ${flags.preset} (strict, dev, rollout)`,
    );
  }
  if (!flags.policy) return presetPolicy((flags.preset as 'strict' | undefined) ?? 'strict');
  const fromFile = loadPolicyFile(flags.policy);
  return flags.preset
    ? resolvePolicy({ ...structuredClone(fromFile), preset: flags.preset })
    : fromFile;
}

export function parseLabels(pairs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new CordonError('CORDON_E_USAGE', `--label must be key=value, got "${pair}"`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CordonError(
      'CORDON_E_USAGE',
      `--timeout must be a positive integer of milliseconds, got "${value}"`,
    );
  return n;
}

/** The exit status `cordon run` ends with (documented in docs/errors.md). */
export function exitStatusOf(result: RunResult): number {
  if (result.killedByPolicy) return EXIT.KILLED_BY_POLICY;
  if (result.timedOut) return EXIT.TIMEOUT;
  if (result.exitCode !== null) return result.exitCode;
  const signo = result.signal
    ? (constants.signals as Record<string, number>)[result.signal]
    : undefined;
  return 128 + (signo ?? 9);
}

/** The verdict block printed at the end of a run, readable at a glance. */
export function verdictLines(report: Report): string[] {
  const colour =
    report.verdict === 'clean'
      ? paint.green
      : report.verdict === 'suspicious'
        ? paint.yellow
        : paint.red;
  const lines = [
    `${paint.bold('cordon')} ${report.sandboxId}: verdict ${colour(paint.bold(report.verdict.toUpperCase()))}`,
  ];
  for (const line of summarize(report.findings)) lines.push(`  ${line}`);
  const e = report.exit;
  const how = e.timedOut
    ? 'timed out'
    : e.oomKilled
      ? 'OOM-killed'
      : e.killedByPolicy
        ? 'stopped by policy'
        : e.signal
          ? `killed by ${e.signal}`
          : `exit ${e.code}`;
  lines.push(
    paint.dim(
      `  ${how}; ${report.durationMs} ms; cpu ${Math.round(report.resources.cpuMs)} ms; peak memory ${Math.round(report.resources.peakMemoryBytes / 1048576)} MiB`,
    ),
  );
  for (const l of report.limitEvents) lines.push(paint.yellow(`  limit: ${l.limit}: ${l.detail}`));
  for (const s of report.deniedSyscalls.slice(0, 10))
    lines.push(paint.yellow(`  denied syscall: ${s.syscall} by ${s.exe ?? `pid ${s.pid}`}`));
  const denied = report.network.flows.filter((f) => f.decision === 'deny');
  for (const f of denied.slice(0, 10))
    lines.push(
      paint.yellow(`  denied flow: ${f.protocol} to ${f.host ?? f.address}:${f.port} (${f.rule})`),
    );
  const off = Object.entries(report.coverage).filter(([, c]) => !c.live);
  if (off.length)
    lines.push(
      paint.dim(
        `  signals off: ${off.map(([k, c]) => `${k} (${c.reason ?? 'unavailable'})`).join('; ')}`,
      ),
    );
  return lines;
}

/** Runs the command in a fresh sandbox of a runtime started for it; exits as the command did. */
export async function runAction(command: string[], flags: RunFlags): Promise<void> {
  const policy = policyFromFlags(flags);
  const timeoutMs = parseTimeout(flags.timeout);
  const labels = parseLabels(flags.label);
  // The audit layer (better-sqlite3 with it) is loaded only for a run that is recorded.
  const dataDir = flags.audit
    ? (flags.dataDir ?? (await import('../../audit/index.js')).defaultDataDir())
    : undefined;
  const runtime = await CordonRuntime.start({
    network: flags.network,
    monitor: flags.monitor,
    dataDir,
    onWarning: (m) => flags.quiet || process.stderr.write(paint.dim(`cordon: ${m}\n`)),
  });
  let status: number;
  try {
    const { result, report } = await runtime.run(command, {
      policy,
      ...(flags.policy ? { policySource: flags.policy } : {}),
      ...(flags.workspace ? { workspace: flags.workspace } : {}),
      keepWorkspace: flags.keepWorkspace === true,
      tty: flags.tty === true,
      ...(timeoutMs ? { timeoutMs } : {}),
      labels,
      ...(flags.episode ? { episodeId: flags.episode } : {}),
    });
    if (flags.report) writeFileSync(flags.report, JSON.stringify(report, null, 2) + '\n');
    if (!flags.quiet) process.stderr.write(verdictLines(report).join('\n') + '\n');
    status = exitStatusOf(result);
  } finally {
    await runtime.close();
  }
  process.exitCode = status;
}
