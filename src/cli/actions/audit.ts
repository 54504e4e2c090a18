/**
 * `cordon audit verify|export|prune`: the tamper-evident trail, for people and SIEM pipelines
 * (their options are in ../commands/audit.ts).
 */
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

/** Walks the hash chain; exits 1 naming the first bad record. */
export function auditVerifyAction(flags: DirFlag): void {
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
}

/** Writes the records (optionally of one sandbox or episode) to stdout. */
export async function auditExportAction(
  flags: DirFlag & { format: ExportFormat; sandbox?: string; episode?: string },
): Promise<void> {
  const store = AuditStore.open({ dataDir: flags.dataDir ?? defaultDataDir() });
  try {
    await exportRecords(store, flags.format, process.stdout, {
      ...(flags.sandbox ? { sandboxId: flags.sandbox } : {}),
      ...(flags.episode ? { episodeId: flags.episode } : {}),
    });
  } finally {
    store.close();
  }
}

/** Deletes the records older than --before. */
export function auditPruneAction(flags: DirFlag & { before: string }): void {
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
}
