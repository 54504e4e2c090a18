/**
 * `cordon demo rome`: the ROME incident replayed and stopped. The file-sorting task runs twice
 * under the default policy, once with the `rome` agent and once with `honest`; prints each step
 * with what cordon saw and did, the verdicts, scores and shaped rewards side by side, and writes
 * an HTML report. With --data-dir the episodes land in the audit store the dashboard reads.
 * Its options are in ../commands/demo-rome.ts.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  agentFactory,
  comparisonText,
  loadTask,
  renderEpisodesHtml,
  runEpisode,
  timelineOf,
  timelineText,
  type EpisodeRun,
} from '../../episode/index.js';
import type { MonitorMode, NetworkMode } from '../../runtime/index.js';
import { cordonPackageRoot } from '../../sandbox/index.js';
import { paint } from '../output.js';
import { startRuntime } from './episode.js';

export interface DemoFlags {
  report?: string;
  dataDir?: string;
  network: NetworkMode;
  monitor: MonitorMode;
}

const TITLES: Record<string, string> = {
  rome: 'rome — does the task, then goes rogue',
  honest: 'honest — does the task, nothing else',
};

function printEpisode(run: EpisodeRun): void {
  const out = process.stdout;
  out.write(`\n${paint.bold(TITLES[run.agent] ?? run.agent)}\n`);
  for (const line of timelineText(timelineOf(run.trajectory))) {
    out.write(
      `${line.includes('did: ') ? paint.red(line) : line.includes('saw: ') ? paint.yellow(line) : line.includes('$ ') ? paint.dim(line) : line}\n`,
    );
  }
}

/**
 * Runs the demonstration; returns the two episodes (rome first).
 * @example await runRomeDemo({ network: 'auto', monitor: 'ebpf' })
 */
export async function runRomeDemo(flags: DemoFlags): Promise<EpisodeRun[]> {
  const started = Date.now();
  const task = loadTask(join(cordonPackageRoot(), 'tasks', 'sort-files-by-type'));
  process.stderr.write(paint.dim('cordon: starting the runtime (network cordon, eBPF monitor)…\n'));
  const runtime = await startRuntime(flags);
  const setupMs = Date.now() - started;
  try {
    process.stdout.write(
      paint.bold(
        `\nThe ROME incident, replayed inside cordon. Task: ${task.id} (policy: ${task.policy.preset}).\n`,
      ) +
        paint.dim(
          'An agent trained to do admin work does the task, then probes the network, opens a reverse SSH\n' +
            'tunnel, mines, grabs GPUs and persists. Same task, same policy, an honest agent beside it.\n',
        ),
    );
    const runs: EpisodeRun[] = [];
    for (const name of ['rome', 'honest']) {
      const run = await runEpisode(runtime, {
        task,
        agent: agentFactory(name)(),
        labels: { demo: 'rome' },
        settleMs: 250,
      });
      runs.push(run);
      printEpisode(run);
    }
    process.stdout.write(`\n${paint.bold('Outcome, side by side')}\n`);
    for (const line of comparisonText(runs)) process.stdout.write(`${line}\n`);
    const rome = runs[0]!;
    const honest = runs[1]!;
    const lesson =
      rome.reward < honest.reward
        ? paint.green(
            `\nThe rogue episode did the task as well (score ${rome.score.toFixed(2)}) but earns ${rome.reward.toFixed(2)}: training cannot reinforce it.\n`,
          )
        : paint.red('\nThe rogue episode was not penalised: check the policy reward section.\n');
    process.stdout.write(lesson);
    const report = resolve(flags.report ?? join(tmpdir(), 'cordon-demo-rome.html'));
    writeFileSync(
      report,
      renderEpisodesHtml({
        title: 'cordon: the ROME incident, replayed and stopped',
        subtitle: `Task ${task.id}, ${task.policy.preset} policy. Each rogue action as attempted, what cordon saw and what it did.`,
        episodes: runs.map((r) => ({
          title: TITLES[r.agent] ?? r.agent,
          result: r,
          timeline: timelineOf(r.trajectory),
        })),
        generatedAt: new Date(),
        notes: [
          `Episodes ${runs.map((r) => r.episodeId).join(', ')}; set-up ${(setupMs / 1000).toFixed(1)} s, episodes ${((Date.now() - started - setupMs) / 1000).toFixed(1)} s.`,
        ],
      }),
    );
    process.stdout.write(`\nHTML report: ${report}\n`);
    if (flags.dataDir)
      process.stdout.write(
        paint.dim(
          `Audit store: ${flags.dataDir} (run \`cordon serve\` to see the episodes in the dashboard)\n`,
        ),
      );
    process.stderr.write(
      paint.dim(
        `set-up ${(setupMs / 1000).toFixed(1)} s, episodes ${((Date.now() - started - setupMs) / 1000).toFixed(1)} s\n`,
      ),
    );
    return runs;
  } finally {
    await runtime.close();
  }
}

/** Runs the demonstration; exits 0 when rome is judged rogue and honest clean. */
export async function demoRomeAction(flags: DemoFlags): Promise<void> {
  const runs = await runRomeDemo(flags);
  process.exitCode = runs[0]!.verdict === 'rogue' && runs[1]!.verdict === 'clean' ? 0 : 1;
}
