/**
 * Exporting the trail as JSON Lines (cordon's own records) or OCSF events, streamed page by page
 * so a live store keeps accepting writes and memory stays flat.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { toOcsf } from './ocsf.js';
import { query, type QueryFilter } from './query.js';
import type { AuditRecord, StoreHandle } from './schema.js';

export type ExportFormat = 'jsonl' | 'ocsf';

const PAGE = 2000;

function line(record: AuditRecord, format: ExportFormat): string {
  if (format === 'ocsf') return JSON.stringify(toOcsf(record)) + '\n';
  const { event, ...rest } = record;
  return JSON.stringify({ ...rest, event }) + '\n';
}

/**
 * Writes every record matching `filter` (default: all) to `out`, one JSON object a line, oldest
 * first, honouring backpressure. Does not end `out`.
 * @example await exportRecords(store, 'ocsf', process.stdout);
 * @returns how many records were written
 */
export async function exportRecords(
  store: StoreHandle,
  format: ExportFormat,
  out: Writable | NodeJS.WritableStream,
  filter: Omit<QueryFilter, 'afterSeq' | 'limit' | 'order'> = {},
): Promise<{ records: number }> {
  store.flush();
  let afterSeq = 0;
  let records = 0;
  for (;;) {
    // Pages, not one long iterator: better-sqlite3 forbids writes on a connection mid-iteration.
    const page = query(store.db, { ...filter, afterSeq, limit: PAGE });
    if (page.length === 0) break;
    const text = page.map((r) => line(r, format)).join('');
    records += page.length;
    afterSeq = page[page.length - 1]!.seq;
    if (!out.write(text)) await once(out as Writable, 'drain');
  }
  return { records };
}
