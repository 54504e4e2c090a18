/**
 * `cordon demo rome` (what a bare `cordon demo` runs): its options and help; the work is in
 * ../actions/demo-rome.ts.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy.js';
import { monitorOption, networkOption } from '../options.js';

/** Adds `cordon demo rome` under the existing `demo` command (or makes `demo`), as its default. */
export function registerDemoRomeCommand(program: Command): void {
  const demo =
    program.commands.find((c) => c.name() === 'demo') ??
    program.command('demo').description('demonstrations of what cordon stops');
  demo
    // Registered after `demo isolation`, this makes a bare `cordon demo` run the incident replay.
    .command('rome', { isDefault: true })
    .description(
      'the ROME incident replayed: a rogue agent and an honest one on the same task, side by side',
    )
    .option(
      '-r, --report <file>',
      'where to write the HTML report (default: $TMPDIR/cordon-demo-rome.html)',
    )
    .option(
      '--data-dir <dir>',
      'record the episodes in the audit store here (the dashboard shows them)',
    )
    .addOption(networkOption())
    .addOption(monitorOption())
    .action(lazyAction(async () => (await import('../actions/demo-rome.js')).demoRomeAction));
}
