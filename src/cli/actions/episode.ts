/**
 * `cordon episode run` (one agent on one task, step by step) and `cordon batch` (every task N
 * times, K at a time, JSONL results, a progress bar and a summary table). Thin over src/episode;
 * their options are in ../commands/episode.ts.
 */
import { resolve } from 'node:path';
import { summarize } from '../../detect/index.js';
import { CordonError } from '../../errors.js';
import {
  agentFactory,
  describeToolCall,
  formatSummaryTable,
  loadTask,
  loadTasks,
  runBatch,
  runEpisode,
  type Agent,
  type BatchEntry,
  type EpisodeResult,
} from '../../episode/index.js';
import { CordonRuntime, type MonitorMode, type NetworkMode } from '../../runtime/index.js';
import { paint } from '../output.js';

interface RuntimeFlags {
  network: NetworkMode;
  monitor: MonitorMode;
  dataDir?: string;
}

interface AgentFlags {
  agent: string;
  model?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
}

/** Makes fresh agents from the flags (reads the API key from the named variable). */
export function agentFromFlags(flags: AgentFlags): () => Agent {
  let apiKey: string | undefined;
  if (flags.apiKeyEnv) {
    apiKey = process.env[flags.apiKeyEnv];
    if (!apiKey)
      throw new CordonError('CORDON_E_USAGE', `--api-key-env: $${flags.apiKeyEnv} is not set`);
  }
  return agentFactory(flags.agent, {
    openai: { model: flags.model, baseUrl: flags.baseUrl, apiKey },
    onStderr: (chunk) => process.stderr.write(paint.dim(chunk)),
  });
}

export async function startRuntime(flags: RuntimeFlags): Promise<CordonRuntime> {
  const runtime = await CordonRuntime.start({
    network: flags.network,
    monitor: flags.monitor,
    dataDir: flags.dataDir,
    onWarning: (m) => process.stderr.write(paint.dim(`cordon: ${m}\n`)),
  });
  await runtime.monitor?.ready();
  return runtime;
}

const verdictColour = (v: string) =>
  v === 'clean' ? paint.green : v === 'suspicious' ? paint.yellow : paint.red;

/** The lines printed after an episode: score, verdict, reward, then each finding. */
export function resultLines(r: EpisodeResult): string[] {
  return [
    `${paint.bold(r.episodeId)} ${r.taskId} by ${r.agent}: ${r.status}, ${r.steps} steps, ${(r.durationMs / 1000).toFixed(1)} s`,
    `  score ${r.score.toFixed(2)} (${r.gradeReason.slice(0, 120)})`,
    `  verdict ${verdictColour(r.verdict)(paint.bold(r.verdict.toUpperCase()))}${r.tampered ? paint.red(' TAMPERED') : ''}`,
    `  reward ${paint.bold(r.reward.toFixed(2))}`,
    ...(r.error ? [paint.red(`  agent error: ${r.error}`)] : []),
    ...summarize(r.findings).map((l) => `  ${l}`),
  ];
}

export type EpisodeRunFlags = AgentFlags &
  RuntimeFlags & { task: string; trajectory?: string; episodeId?: string; json?: boolean };

/** Runs one agent on one task in a live sandbox; prints each step and the result. */
export async function episodeRunAction(flags: EpisodeRunFlags): Promise<void> {
  const task = loadTask(flags.task);
  const makeAgent = agentFromFlags(flags);
  const runtime = await startRuntime(flags);
  try {
    const result = await runEpisode(runtime, {
      task,
      agent: makeAgent(),
      episodeId: flags.episodeId,
      trajectory: flags.trajectory,
      onStep: (s) => {
        const mark = s.findings.length ? paint.red(` ${s.findings.length} finding(s)`) : '';
        process.stderr.write(
          `${paint.dim(s.stepId)} ${describeToolCall(s, 90)} ${paint.dim(`exit ${s.exitCode ?? s.signal ?? '-'}`)}${mark}\n`,
        );
      },
    });
    const { trajectory: _t, ...plain } = result;
    process.stderr.write(`${resultLines(result).join('\n')}\n`);
    if (flags.trajectory)
      process.stderr.write(paint.dim(`trajectory: ${resolve(flags.trajectory)}\n`));
    if (flags.json) process.stdout.write(`${JSON.stringify(plain, null, 2)}\n`);
  } finally {
    await runtime.close();
  }
}

/** A progress bar on a TTY, one line per episode otherwise. */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let rogue = 0;
  return (entry: BatchEntry, done: number, total: number) => {
    if (entry.type === 'episode' && entry.result.verdict === 'rogue') rogue += 1;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} episodes, ${rogue} rogue, ${secs} s`,
      );
      if (done === total) stream.write('\n');
      return;
    }
    const what =
      entry.type === 'episode'
        ? `${entry.result.taskId} score ${entry.result.score.toFixed(2)} ${entry.result.verdict} reward ${entry.result.reward.toFixed(2)}`
        : `${entry.taskId} error: ${entry.error}`;
    stream.write(`[${done}/${total}] ${what} (${secs} s)\n`);
  };
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CordonError('CORDON_E_USAGE', `--${name} must be a positive integer, got "${value}"`);
  return n;
}

export type BatchFlags = AgentFlags &
  RuntimeFlags & {
    tasks: string;
    episodes: string;
    concurrency: string;
    out: string;
    only?: string;
  };

/** Runs every task N times, K at a time; writes JSONL results and prints a summary table. */
export async function batchAction(flags: BatchFlags): Promise<void> {
  const episodes = positiveInt('episodes', flags.episodes);
  const concurrency = positiveInt('concurrency', flags.concurrency);
  let tasks = loadTasks(flags.tasks);
  if (flags.only) {
    const ids = new Set(flags.only.split(',').map((s) => s.trim()));
    tasks = tasks.filter((t) => ids.has(t.id));
  }
  if (tasks.length === 0)
    throw new CordonError('CORDON_E_USAGE', `No tasks to run in ${flags.tasks}`);
  const makeAgent = agentFromFlags(flags);
  const runtime = await startRuntime(flags);
  try {
    const { summary, durationMs, entries } = await runBatch(runtime, {
      tasks,
      agent: makeAgent,
      episodes,
      concurrency,
      out: flags.out,
      onResult: progressReporter(),
    });
    process.stdout.write(`${formatSummaryTable(summary)}\n`);
    const n = entries.length;
    process.stderr.write(
      paint.dim(
        `${n} episodes in ${(durationMs / 1000).toFixed(1)} s (${(n / (durationMs / 1000)).toFixed(2)} episodes/s); results: ${resolve(flags.out)}\n`,
      ),
    );
    if (entries.some((e) => e.type === 'error')) process.exitCode = 1;
  } finally {
    await runtime.close();
  }
}
