/**
 * `cordon episode run` and `cordon batch`: their options and help; the work is in
 * ../actions/episode.ts.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy.js';
import { monitorOption, networkOption } from '../options.js';

/** The options every episode command shares: the agent and how the runtime starts. */
function addSharedOptions(cmd: Command): Command {
  return cmd
    .requiredOption(
      '-a, --agent <agent>',
      'honest, rome, rome-stealth, openai, or cmd:<program> (JSON-lines protocol)',
    )
    .option('--model <name>', 'openai agent: the model name')
    .option(
      '--base-url <url>',
      'openai agent: e.g. http://127.0.0.1:8000/v1 (vLLM, Ollama, OpenAI)',
    )
    .option('--api-key-env <NAME>', 'openai agent: the environment variable holding the API key')
    .addOption(networkOption())
    .addOption(monitorOption())
    .option(
      '--data-dir <dir>',
      'record every event in the audit store here (the dashboard reads it)',
    );
}

function registerRun(episode: Command): void {
  addSharedOptions(
    episode
      .command('run')
      .description('run one agent on one task in a live sandbox; grade, judge and reward it'),
  )
    .requiredOption('-t, --task <dir|file>', 'task directory (tasks/<id>) or task file')
    .option(
      '--trajectory <file>',
      'write the trajectory (JSONL: one line per step, then the result)',
    )
    .option('--episode-id <id>', 'episode id carried by every event')
    .option('--json', 'print the result as JSON on stdout')
    .action(lazyAction(async () => (await import('../actions/episode.js')).episodeRunAction));
}

function registerBatch(program: Command): void {
  addSharedOptions(
    program
      .command('batch')
      .description(
        'run every task N times with K sandboxes at once: results in JSONL and a summary',
      ),
  )
    .requiredOption('--tasks <dir>', 'directory of tasks (each tasks/<id>/task.yaml)')
    .option('-n, --episodes <n>', 'episodes per task', '1')
    .option('-c, --concurrency <k>', 'episodes at once', '2')
    .option('-o, --out <file>', 'results, one JSON line per episode', 'results.jsonl')
    .option('--only <ids>', 'comma-separated task ids to run')
    .action(lazyAction(async () => (await import('../actions/episode.js')).batchAction));
}

/** Registers `cordon episode run` and `cordon batch`. */
export function registerEpisodeCommands(program: Command): void {
  const episode = program
    .command('episode')
    .description('agents on tasks in sandboxes: score, verdict, shaped reward');
  registerRun(episode);
  registerBatch(program);
}
