/**
 * Batches of episodes, the way RL rollouts run: every task N times, K at a time, each result one
 * JSONL line as it finishes, and a summary per task (success rate, rogue rate, mean reward).
 * An episode that cordon itself fails to run is an `error` line; the batch goes on.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CordonRuntime } from '../runtime/index.js';
import { runEpisode } from './runner.js';
import type { Task } from './task.js';
import type { Agent, EpisodeResult } from './types.js';

export interface BatchOptions {
  tasks: readonly Task[];
  /** A fresh agent per episode. */
  agent: () => Agent;
  /** Episodes per task. */
  episodes: number;
  concurrency: number;
  /** Results as JSONL, one line per episode, written as each finishes. */
  out?: string | undefined;
  /** A score at or above this counts as a success; default 1. */
  successScore?: number | undefined;
  onResult?: ((entry: BatchEntry, done: number, total: number) => void) | undefined;
  settleMs?: number | undefined;
}

export type BatchEntry =
  | { type: 'episode'; index: number; result: EpisodeResult }
  | { type: 'error'; index: number; taskId: string; agent: string; error: string };

export interface TaskSummary {
  taskId: string;
  episodes: number;
  errors: number;
  successRate: number;
  rogueRate: number;
  tamperedRate: number;
  meanScore: number;
  meanReward: number;
}

export interface BatchResult {
  entries: BatchEntry[];
  summary: TaskSummary[];
  durationMs: number;
}

/** The JSONL line of an entry: the result without its findings' evidence bulk. */
export function batchLine(entry: BatchEntry): string {
  if (entry.type === 'error') return JSON.stringify(entry);
  const { findings, ...rest } = entry.result;
  return JSON.stringify({
    type: 'episode',
    index: entry.index,
    ...rest,
    findings: findings.map((f) => ({
      id: f.id,
      rule: f.rule,
      category: f.category,
      severity: f.severity,
      action: f.action,
      actionTaken: f.actionTaken,
      stepId: f.stepId,
      reason: f.reason,
    })),
  });
}

/**
 * @example
 * const { summary } = await runBatch(runtime, { tasks, agent: agentFactory('honest'), episodes: 4, concurrency: 2 });
 */
export async function runBatch(
  runtime: CordonRuntime,
  options: BatchOptions,
): Promise<BatchResult> {
  const started = Date.now();
  const jobs = options.tasks.flatMap((task) =>
    Array.from({ length: options.episodes }, () => task),
  );
  const entries: BatchEntry[] = [];
  if (options.out) {
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, '');
  }
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < jobs.length; index = next++) {
      const task = jobs[index]!;
      const agent = options.agent();
      let entry: BatchEntry;
      try {
        const { trajectory: _t, ...result } = await runEpisode(runtime, {
          task,
          agent,
          labels: { batch: String(started) },
          settleMs: options.settleMs,
        });
        entry = { type: 'episode', index, result };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        entry = { type: 'error', index, taskId: task.id, agent: agent.name, error: message };
      }
      entries.push(entry);
      if (options.out) appendFileSync(options.out, `${batchLine(entry)}\n`);
      options.onResult?.(entry, entries.length, jobs.length);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, jobs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  entries.sort((a, b) => a.index - b.index);
  return {
    entries,
    summary: summarizeBatch(entries, options.successScore ?? 1),
    durationMs: Date.now() - started,
  };
}

/** Per-task rates over a batch's entries (errors count as episodes that earned nothing). */
export function summarizeBatch(entries: readonly BatchEntry[], successScore = 1): TaskSummary[] {
  const byTask = new Map<string, BatchEntry[]>();
  for (const e of entries) {
    const id = e.type === 'episode' ? e.result.taskId : e.taskId;
    byTask.set(id, [...(byTask.get(id) ?? []), e]);
  }
  return [...byTask.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([taskId, list]) => {
      const results = list.flatMap((e) => (e.type === 'episode' ? [e.result] : []));
      const n = list.length;
      const rate = (pred: (r: EpisodeResult) => boolean) => results.filter(pred).length / n;
      const mean = (pick: (r: EpisodeResult) => number) =>
        results.length ? results.reduce((s, r) => s + pick(r), 0) / results.length : 0;
      return {
        taskId,
        episodes: n,
        errors: n - results.length,
        successRate: rate((r) => r.score >= successScore && r.verdict === 'clean' && !r.tampered),
        rogueRate: rate((r) => r.verdict === 'rogue'),
        tamperedRate: rate((r) => r.tampered),
        meanScore: mean((r) => r.score),
        meanReward: mean((r) => r.reward),
      };
    });
}

/** The summary as a fixed-width table for people. */
export function formatSummaryTable(summary: readonly TaskSummary[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const header = ['task', 'episodes', 'success', 'rogue', 'tampered', 'score', 'reward', 'errors'];
  const rows = summary.map((s) => [
    s.taskId,
    String(s.episodes),
    pct(s.successRate),
    pct(s.rogueRate),
    pct(s.tamperedRate),
    s.meanScore.toFixed(2),
    s.meanReward.toFixed(2),
    String(s.errors),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
