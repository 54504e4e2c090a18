/** `cordon audit verify|export|prune`: the tamper-evident trail, for people and SIEM pipelines. */
import { Option, type Command } from 'commander';
import {
  AuditStore,
  defaultDataDir,
  exportRecords,
  prune,
  verify,
  type ExportFormat,
} from '../../audit/index.js';
import { CordonError } from '../../errors.js';
import { paint } from '../output.js';

interface DirFlag {
  dataDir?: string;
}

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'audit store directory').default(undefined, 'defaultDataDir()');

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('verify, export and prune the audit trail');

  audit
    .command('verify')
    .description('walk the hash chain; name the first record changed, removed or reordered')
    .addOption(dataDirOption())
    .action((flags: DirFlag) => {
      const result = verify(flags.dataDir ?? defaultDataDir());
      if (result.ok) {
        process.stdout.write(
          `${paint.green('ok')}: ${result.records} records verify${result.head ? `; head seq ${result.head.seq} ${result.head.hash}` : ''}\n`,
        );
        return;
      }
      const bad = result.firstBad;
      process.stdout.write(
        `${paint.red('BROKEN')}: record ${bad?.seq ?? '?'} was ${bad?.problem ?? 'altered'} (${result.records} records before it verify)\n`,
      );
      process.exitCode = 1;
    });

  audit
    .command('export')
    .description('write every record as JSON lines or OCSF to stdout')
    .addOption(
      new Option('--format <format>', 'jsonl or ocsf').choices(['jsonl', 'ocsf']).default('jsonl'),
    )
    .option('--sandbox <id>', 'only this sandbox')
    .option('--episode <id>', 'only this episode')
    .addOption(dataDirOption())
    .action(
      async (flags: DirFlag & { format: ExportFormat; sandbox?: string; episode?: string }) => {
        const store = AuditStore.open({ dataDir: flags.dataDir ?? defaultDataDir() });
        try {
          await exportRecords(store, flags.format, process.stdout, {
            ...(flags.sandbox ? { sandboxId: flags.sandbox } : {}),
            ...(flags.episode ? { episodeId: flags.episode } : {}),
          });
        } finally {
          store.close();
        }
      },
    );

  audit
    .command('prune')
    .description('delete records older than a date; the chain stays verifiable')
    .requiredOption('--before <date>', 'ISO date or date-time')
    .addOption(dataDirOption())
    .action((flags: DirFlag & { before: string }) => {
      const before = new Date(flags.before);
      if (Number.isNaN(before.getTime()))
        throw new CordonError('CORDON_E_USAGE', `--before must be a date, got "${flags.before}"`);
      const store = AuditStore.open({ dataDir: flags.dataDir ?? defaultDataDir() });
      try {
        const r = prune(store, before);
        process.stdout.write(`pruned: ${JSON.stringify(r)}\n`);
      } finally {
        store.close();
      }
    });
}
