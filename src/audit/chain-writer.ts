/**
 * Writing batches to the chain: in one IMMEDIATE transaction, read the tail, hash each record onto
 * it and insert the rows, the head, the batch's ts range and its sandbox and episode spans. Runs in the write worker
 * (write-worker.ts) or, when that cannot start, on the store's thread.
 */
import type Database from 'better-sqlite3';
import { GENESIS_HASH, recordHash, type HashedFields } from './canonical.js';
import {
  WRITE_BATCH_SQL,
  WRITE_EPISODE_SPAN_SQL,
  WRITE_META_SQL,
  WRITE_SANDBOX_SPAN_SQL,
  type ChainPoint,
} from './schema.js';

/** Queued events, one array per column (cheap to build and to post to a worker). */
export interface Batch {
  ts: number[];
  kind: string[];
  sandboxId: string[];
  episodeId: (string | null)[];
  stepId: (string | null)[];
  severity: (string | null)[];
  /** Canonical JSON of each event. */
  body: string[];
}

export function emptyBatch(): Batch {
  return { ts: [], kind: [], sandboxId: [], episodeId: [], stepId: [], severity: [], body: [] };
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

/** First and last seq per key (sandbox or episode) within one batch. */
class Spans {
  private readonly spans = new Map<string, { first: number; last: number }>();

  add(key: string | null, seq: number): void {
    if (key === null) return;
    const span = this.spans.get(key);
    if (span) span.last = seq;
    else this.spans.set(key, { first: seq, last: seq });
  }

  write(insert: Database.Statement): void {
    for (const [key, { first, last }] of this.spans) insert.run(key, first, last);
  }
}

/** Rows per multi-row INSERT: one statement step per 128 records instead of one per record. */
const ROWS_PER_INSERT = 128;
const COLUMNS = 10;

function insertSql(rows: number): string {
  const row = `(${Array.from({ length: COLUMNS }, () => '?').join(', ')})`;
  return (
    'INSERT INTO records (seq, ts, kind, sandbox_id, episode_id, step_id, severity, body, ' +
    `prev_hash, hash) VALUES ${Array.from({ length: rows }, () => row).join(', ')}`
  );
}

/** Prepares the statements once; the returned function commits one batch. */
export function chainWriter(db: Database.Database): (batch: Batch) => ChainPoint {
  const insertOne = db.prepare(insertSql(1));
  const insertMany = db.prepare(insertSql(ROWS_PER_INSERT));
  const params: (string | number | null)[] = new Array<string | number | null>(
    COLUMNS * ROWS_PER_INSERT,
  );
  const one: (string | number | null)[] = new Array<string | number | null>(COLUMNS);
  const tailOf = chainTail(db);
  const writeMeta = db.prepare(WRITE_META_SQL);
  const writeBatch = db.prepare(WRITE_BATCH_SQL);
  const writeSandboxSpan = db.prepare(WRITE_SANDBOX_SPAN_SQL);
  const writeEpisodeSpan = db.prepare(WRITE_EPISODE_SPAN_SQL);
  // The tail is read inside the (IMMEDIATE) transaction, so a second writer process or a
  // concurrent prune can never fork the chain.
  const write = db.transaction((batch: Batch): ChainPoint => {
    let { seq, hash: prevHash } = tailOf();
    const firstSeq = seq + 1;
    const n = batch.body.length;
    const bulk = n - (n % ROWS_PER_INSERT);
    let minTs = Infinity;
    let maxTs = -Infinity;
    let at = 0;
    const sandboxes = new Spans();
    const episodes = new Spans();
    for (let i = 0; i < n; i++) {
      fields.seq = ++seq;
      fields.ts = batch.ts[i]!;
      fields.kind = batch.kind[i]!;
      fields.sandboxId = batch.sandboxId[i]!;
      fields.episodeId = batch.episodeId[i]!;
      fields.stepId = batch.stepId[i]!;
      fields.severity = batch.severity[i]!;
      fields.body = batch.body[i]!;
      fields.prevHash = prevHash;
      const hash = recordHash(fields);
      // The tail of a batch (under ROWS_PER_INSERT records) goes through the one-row statement.
      const target = i < bulk ? params : one;
      let c = i < bulk ? at : 0;
      target[c++] = seq;
      target[c++] = fields.ts;
      target[c++] = fields.kind;
      target[c++] = fields.sandboxId;
      target[c++] = fields.episodeId;
      target[c++] = fields.stepId;
      target[c++] = fields.severity;
      target[c++] = fields.body;
      target[c++] = prevHash;
      target[c++] = hash;
      if (i >= bulk) insertOne.run(one);
      else {
        at = c;
        if (at === params.length) {
          insertMany.run(params);
          at = 0;
        }
      }
      sandboxes.add(fields.sandboxId, seq);
      episodes.add(fields.episodeId, seq);
      if (fields.ts < minTs) minTs = fields.ts;
      if (fields.ts > maxTs) maxTs = fields.ts;
      prevHash = hash;
    }
    if (seq >= firstSeq) writeBatch.run(firstSeq, seq, minTs, maxTs);
    sandboxes.write(writeSandboxSpan);
    episodes.write(writeEpisodeSpan);
    writeMeta.run('head', seq, prevHash, Date.now());
    return { seq, hash: prevHash };
  });
  return (batch) => write.immediate(batch);
}
