/**
 * Walking the hash chain: recomputes every record's hash, checks each link and the seq run, and
 * names the first record that was changed, removed or reordered.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CordonError } from '../errors.js';
import { GENESIS_HASH, recordHash } from './canonical.js';
import { readMeta, type ChainPoint, type RecordRow, type StoreHandle } from './schema.js';

export type ChainProblem = 'changed' | 'removed' | 'reordered' | 'bad-anchor';

export interface VerifyResult {
  ok: boolean;
  /** Records checked (the ones before the first bad one when not ok). */
  records: number;
  /** Where the kept chain starts (set after a prune). */
  anchor?: ChainPoint | undefined;
  /** Last record as recorded at write time: worth copying elsewhere to detect a rewrite. */
  head?: ChainPoint | undefined;
  firstBad?: { seq: number; problem: ChainProblem } | undefined;
}

function openReadOnly(path: string): Database.Database {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'audit.db') : path;
  if (!existsSync(file)) throw new CordonError('CORDON_E_AUDIT_IO', `No audit store at ${file}`);
  try {
    return new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new CordonError('CORDON_E_AUDIT_IO', `Could not open ${file}: ${String(error)}`, {
      cause: error,
    });
  }
}

function hashOf(row: RecordRow): string {
  return recordHash({
    seq: row.seq,
    ts: row.ts,
    kind: row.kind,
    sandboxId: row.sandbox_id,
    episodeId: row.episode_id,
    stepId: row.step_id,
    severity: row.severity,
    body: row.body,
    prevHash: row.prev_hash,
  });
}

function walk(db: Database.Database): VerifyResult {
  const anchor = readMeta(db, 'anchor');
  const head = readMeta(db, 'head');
  const findSuccessor = db.prepare(
    'SELECT seq FROM records WHERE prev_hash = ? AND seq <> ? LIMIT 1',
  );
  let expectedSeq = (anchor?.seq ?? 0) + 1;
  let expectedPrev = anchor?.hash ?? GENESIS_HASH;
  let records = 0;
  const result = (firstBad?: VerifyResult['firstBad']): VerifyResult => ({
    ok: firstBad === undefined,
    records,
    anchor,
    head,
    firstBad,
  });

  for (const row of db
    .prepare('SELECT * FROM records ORDER BY seq')
    .iterate() as IterableIterator<RecordRow>) {
    if (row.seq !== expectedSeq) return result({ seq: expectedSeq, problem: 'removed' });
    if (row.prev_hash !== expectedPrev) {
      // The record that belongs here sits elsewhere in the table: rows were swapped or moved.
      if (findSuccessor.get(expectedPrev, row.seq))
        return result({ seq: row.seq, problem: 'reordered' });
      const selfConsistent = hashOf(row) === row.hash;
      if (records === 0 && anchor && selfConsistent)
        return result({ seq: row.seq, problem: 'bad-anchor' });
      // A self-consistent record whose link breaks witnesses that its predecessor was rewritten
      // (body edited and hash recomputed); otherwise this record's own prev_hash was edited.
      return result(
        selfConsistent && records > 0
          ? { seq: row.seq - 1, problem: 'changed' }
          : { seq: row.seq, problem: 'changed' },
      );
    }
    if (hashOf(row) !== row.hash) return result({ seq: row.seq, problem: 'changed' });
    records += 1;
    expectedSeq += 1;
    expectedPrev = row.hash;
  }
  // The head is written with every batch: it catches a truncated tail or a rewritten last record.
  const lastSeq = expectedSeq - 1;
  if (head && head.seq > lastSeq) return result({ seq: lastSeq + 1, problem: 'removed' });
  if (head && head.seq === lastSeq && head.hash !== expectedPrev) {
    return result({ seq: lastSeq, problem: records === 0 ? 'bad-anchor' : 'changed' });
  }
  return result();
}

/**
 * Verifies the whole chain of a store (flushed first) or of the database at `path` (a data
 * directory or an `audit.db` file, opened read-only).
 * @example const r = verify('/var/lib/cordon'); if (!r.ok) console.log(r.firstBad);
 */
export function verify(target: StoreHandle | string): VerifyResult {
  if (typeof target !== 'string') {
    target.flush();
    return walk(target.db);
  }
  const db = openReadOnly(target);
  try {
    return walk(db);
  } finally {
    db.close();
  }
}
