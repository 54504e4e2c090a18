/** `cordon eval`: its options and help; the work is in ../actions/eval.ts. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy.js';

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('run the detection scenarios (rogue and benign) and print a confusion table')
    .option('--dir <dir>', 'scenario corpus holding rogue/ and benign/ (default: test/scenarios)')
    .option('--only <names>', 'comma-separated scenario names (e.g. tunnel-ssh-443,deploy-key)')
    .option('--json <file>', 'write every result and the table as JSON here')
    .option('--concurrency <n>', 'scenarios running at once', '2')
    .option('-q, --quiet', 'print only the table')
    .action(lazyAction(async () => (await import('../actions/eval.js')).evalAction));
}
