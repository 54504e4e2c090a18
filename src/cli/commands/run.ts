/** `cordon run [options] -- CMD [ARGS...]`: options and help; the work is in ../actions/run.ts. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy.js';
import { monitorOption, networkOption } from '../options.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a command in a sandbox: isolated, watched, policed; prints a verdict')
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .option('-p, --policy <file>', 'policy file (YAML or JSON)')
    .option('--preset <name>', 'policy preset: strict (default), dev, rollout')
    .option(
      '-w, --workspace <dir>',
      'host directory to use as the writable workspace (default: a fresh one)',
    )
    .option('--keep-workspace', 'keep the fresh workspace after the run')
    .option('-r, --report <file>', 'write the JSON report here (docs/report.md)')
    .option('-t, --tty', 'keep the terminal (interactive programs)')
    .option('--timeout <ms>', 'wall-clock limit, overriding resources.timeoutMs')
    .option(
      '--label <key=value>',
      'label the run (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option('--episode <id>', 'episode id carried by every event')
    .addOption(networkOption())
    .addOption(monitorOption())
    .option('--data-dir <dir>', 'audit store directory (default: /var/lib/cordon for root)')
    .option('--no-audit', 'do not record the run in the audit store')
    .option('-q, --quiet', 'do not print the verdict')
    .passThroughOptions()
    .action(lazyAction(async () => (await import('../actions/run.js')).runAction));
}
