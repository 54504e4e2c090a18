/**
 * Pruning: deletes the oldest records (a prefix of the chain, by seq) and stores the last deleted
 * record's seq and hash as the anchor, so the kept chain still verifies from there.
 */
import { CordonError } from '../errors.js';
import { sinceSeqBound } from './query.js';
import { WRITE_META_SQL, type ChainPoint, type StoreHandle } from './schema.js';
import { verify } from './verify.js';

export interface PruneResult {
  removed: number;
  /** The anchor now in force (unchanged when nothing was removed). */
  anchor?: ChainPoint | undefined;
}

/**
 * Deletes every record older than `before`, up to the first record at or after it (records are
 * removed as a prefix by seq so the chain stays contiguous). Refuses on a chain that does not
 * verify, because pruning would erase the evidence, unless `force`.
 * @example prune(store, new Date(Date.now() - 30 * 86_400_000));
 */
export function prune(
  store: StoreHandle,
  before: Date,
  options: { force?: boolean } = {},
): PruneResult {
  const check = verify(store);
  if (!check.ok && !options.force) {
    throw new CordonError(
      'CORDON_E_AUDIT_CORRUPT',
      'Refusing to prune a chain that does not verify',
      {
        details: { firstBad: check.firstBad },
      },
    );
  }
  const { db } = store;
  const cutoff = before.getTime();
  const run = db.transaction((): PruneResult => {
    const keepFrom = db
      .prepare(`SELECT MIN(seq) AS seq FROM records WHERE ts >= ? AND ${sinceSeqBound()}`)
      .get(cutoff, cutoff) as { seq: number | null };
    const last = db
      .prepare('SELECT seq, hash FROM records WHERE seq < ? ORDER BY seq DESC LIMIT 1')
      .get(keepFrom.seq ?? Number.MAX_SAFE_INTEGER) as ChainPoint | undefined;
    if (!last) return { removed: 0, anchor: check.anchor };
    const { changes } = db.prepare('DELETE FROM records WHERE seq <= ?').run(last.seq);
    for (const table of ['chain_batches', 'sandbox_spans', 'episode_spans']) {
      db.prepare(`DELETE FROM ${table} WHERE last_seq <= ?`).run(last.seq);
    }
    db.prepare(WRITE_META_SQL).run('anchor', last.seq, last.hash, Date.now());
    return { removed: changes, anchor: { seq: last.seq, hash: last.hash } };
  });
  return run.immediate();
}
