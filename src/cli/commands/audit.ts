/** `cordon audit verify|export|prune`: options and help; the work is in ../actions/audit.ts. */
import { Option, type Command } from 'commander';
import { lazyAction } from '../lazy.js';

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'audit store directory').default(undefined, 'defaultDataDir()');

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('verify, export and prune the audit trail');

  audit
    .command('verify')
    .description('walk the hash chain; name the first record changed, removed or reordered')
    .addOption(dataDirOption())
    .action(lazyAction(async () => (await import('../actions/audit.js')).auditVerifyAction));

  audit
    .command('export')
    .description('write every record as JSON lines or OCSF to stdout')
    .addOption(
      new Option('--format <format>', 'jsonl or ocsf').choices(['jsonl', 'ocsf']).default('jsonl'),
    )
    .option('--sandbox <id>', 'only this sandbox')
    .option('--episode <id>', 'only this episode')
    .addOption(dataDirOption())
    .action(lazyAction(async () => (await import('../actions/audit.js')).auditExportAction));

  audit
    .command('prune')
    .description('delete records older than a date; the chain stays verifiable')
    .requiredOption('--before <date>', 'ISO date or date-time')
    .addOption(dataDirOption())
    .action(lazyAction(async () => (await import('../actions/audit.js')).auditPruneAction));
}
