/**
 * Writing batches to the chain. The store hashes each event onto the tail it expects as the event
 * is queued (`hashOnto`); the writer, in one IMMEDIATE transaction, checks that tail against the
 * database (another process may have appended), rehashes the batch if it moved, and inserts the
 * rows, the head and the batch's ts range. The writer runs in the write worker (write-worker.ts)
 * or, when that cannot start, on the store's thread.
 */
import type Database from 'better-sqlite3';
import { GENESIS_HASH, recordHash, type HashedFields } from './canonical.js';
import { WRITE_BATCH_SQL, WRITE_META_SQL, type ChainPoint } from './schema.js';

/** Queued events, one array per column (cheap to build and to post to a worker). */
export interface Batch {
  /** Seq of the first event, and the hash it was chained onto. */
  firstSeq: number;
  prevHash: string;
  ts: number[];
  kind: string[];
  sandboxId: string[];
  episodeId: (string | null)[];
  stepId: (string | null)[];
  severity: (string | null)[];
  /** Canonical JSON of each event. */
  body: string[];
  /** Each record's hash, chained from `prevHash`. */
  hash: string[];
}

export function emptyBatch(): Batch {
  return {
    firstSeq: 0,
    prevHash: '',
    ts: [],
    kind: [],
    sandboxId: [],
    episodeId: [],
    stepId: [],
    severity: [],
    body: [],
    hash: [],
  };
}

// One object reused for every record hashed on a thread: hashing reads it, nothing keeps it.
const fields: HashedFields = {
  seq: 0,
  ts: 0,
  kind: '',
  sandboxId: '',
  episodeId: null,
  stepId: null,
  severity: null,
  body: '',
  prevHash: '',
};

/** Hashes records `from..` of `batch` onto `tail` (record `from - 1`'s point); returns the new tail. */
export function hashOnto(batch: Batch, tail: ChainPoint, from = 0): ChainPoint {
  if (from === 0) {
    batch.firstSeq = tail.seq + 1;
    batch.prevHash = tail.hash;
  }
  let seq = tail.seq;
  let prevHash = tail.hash;
  for (let i = from; i < batch.body.length; i++) {
    fields.seq = ++seq;
    fields.ts = batch.ts[i]!;
    fields.kind = batch.kind[i]!;
    fields.sandboxId = batch.sandboxId[i]!;
    fields.episodeId = batch.episodeId[i]!;
    fields.stepId = batch.stepId[i]!;
    fields.severity = batch.severity[i]!;
    fields.body = batch.body[i]!;
    fields.prevHash = prevHash;
    prevHash = recordHash(fields);
    batch.hash[i] = prevHash;
  }
  return { seq, hash: prevHash };
}

/**
 * Where the next record goes: after the last row, the anchor (all pruned) or the head, whichever
 * is furthest. A head beyond the last row means rows were cut off the end: new records continue
 * after the head so the gap stays visible to verify instead of being papered over.
 */
export function chainTail(db: Database.Database): () => ChainPoint {
  const last = db.prepare('SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1');
  const meta = db.prepare('SELECT seq, hash FROM chain_meta WHERE key = ?');
  return () => {
    let tail = (last.get() ?? meta.get('anchor')) as ChainPoint | undefined;
    const head = meta.get('head') as ChainPoint | undefined;
    if (head && (!tail || head.seq > tail.seq)) tail = head;
    return tail ? { seq: tail.seq, hash: tail.hash } : { seq: 0, hash: GENESIS_HASH };
  };
}

/** What a committed batch ends at, and whether it had to be rehashed onto a moved tail. */
export interface Committed {
  head: ChainPoint;
  rehashed: boolean;
}

/** Prepares the statements once; the returned function commits one batch. */
export function chainWriter(db: Database.Database): (batch: Batch) => Committed {
  const insert = db.prepare(
    'INSERT INTO records (seq, ts, kind, sandbox_id, episode_id, step_id, severity, body, ' +
      'prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const tailOf = chainTail(db);
  const writeMeta = db.prepare(WRITE_META_SQL);
  const writeBatch = db.prepare(WRITE_BATCH_SQL);
  // The tail is read inside the (IMMEDIATE) transaction, so a second writer process or a
  // concurrent prune can never fork the chain.
  const write = db.transaction((batch: Batch): Committed => {
    const n = batch.body.length;
    const tail = tailOf();
    const rehashed =
      batch.hash.length !== n || tail.seq + 1 !== batch.firstSeq || tail.hash !== batch.prevHash;
    if (rehashed) hashOnto(batch, tail);
    let prevHash = batch.prevHash;
    let minTs = Infinity;
    let maxTs = -Infinity;
    for (let i = 0; i < n; i++) {
      const ts = batch.ts[i]!;
      const hash = batch.hash[i]!;
      insert.run(
        batch.firstSeq + i,
        ts,
        batch.kind[i],
        batch.sandboxId[i],
        batch.episodeId[i],
        batch.stepId[i],
        batch.severity[i],
        batch.body[i],
        prevHash,
        hash,
      );
      if (ts < minTs) minTs = ts;
      if (ts > maxTs) maxTs = ts;
      prevHash = hash;
    }
    const head = { seq: batch.firstSeq + n - 1, hash: prevHash };
    if (n > 0) writeBatch.run(batch.firstSeq, head.seq, minTs, maxTs);
    writeMeta.run('head', head.seq, head.hash, Date.now());
    return { head, rehashed };
  });
  return (batch) => write.immediate(batch);
}
