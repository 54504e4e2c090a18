/**
 * The audit database: its SQL schema, the row and record types, and how a row becomes a record.
 * Every other audit module reads the database through these definitions.
 */
import type Database from 'better-sqlite3';
import type { CordonEvent, EventKind, Severity } from '../events/index.js';

/**
 * Stored in `PRAGMA user_version`. 1 (stored as 0: it predates the pragma): indexes on kind and ts.
 * 2: those two indexes, which cost a third of every insert, are replaced by a partial index on
 * findings and one `chain_batches` row per committed batch (its seq and ts range), which bounds a
 * time-range scan. 3: the per-record indexes on sandbox and episode (half of what an insert cost)
 * are replaced the same way, by one span per batch and sandbox (`sandbox_spans`) and per batch and
 * episode (`episode_spans`), and new stores use 16 KiB pages. Records and the chain are the same in
 * every version: older stores migrate in place.
 */
export const SCHEMA_VERSION = 3;

/** DDL, idempotent. `body` is the event's canonical JSON; the other columns are copies for indexes. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  kind TEXT NOT NULL,
  sandbox_id TEXT NOT NULL,
  episode_id TEXT,
  step_id TEXT,
  severity TEXT,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
-- Only findings carry a severity. Keyed by seq alone so a scan of it is already in seq order;
-- queries for findings name "severity IS NOT NULL" (a severity filter implies it) to use it.
CREATE INDEX IF NOT EXISTS records_findings ON records (seq) WHERE severity IS NOT NULL;
-- One row per committed batch: the ts range of seqs first_seq..last_seq (not an index on ts).
CREATE TABLE IF NOT EXISTS chain_batches (
  first_seq INTEGER PRIMARY KEY,
  last_seq INTEGER NOT NULL,
  min_ts INTEGER NOT NULL,
  max_ts INTEGER NOT NULL
);
-- Per committed batch and sandbox (episode): the first and last seq of its records in the batch.
-- A query by sandbox reads only the records inside its spans, without an index entry per record.
CREATE TABLE IF NOT EXISTS sandbox_spans (
  sandbox_id TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  PRIMARY KEY (sandbox_id, first_seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS episode_spans (
  episode_id TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  PRIMARY KEY (episode_id, first_seq)
) WITHOUT ROWID;
-- 'anchor': seq and hash of the last pruned record; 'head': of the last record ever appended.
CREATE TABLE IF NOT EXISTS chain_meta (
  key TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  at INTEGER NOT NULL
);
`;

/** v1 to v2: drop the two per-insert indexes and summarise existing records into batches. */
const MIGRATE_V1_SQL = `
DROP INDEX IF EXISTS records_kind;
DROP INDEX IF EXISTS records_ts;
INSERT OR IGNORE INTO chain_batches (first_seq, last_seq, min_ts, max_ts)
  SELECT MIN(seq), MAX(seq), MIN(ts), MAX(ts) FROM records GROUP BY seq / 512;
`;

/** v2 to v3: spans for the records already there (per 512 seqs), then drop the per-record indexes. */
const MIGRATE_V2_SQL = `
INSERT OR IGNORE INTO sandbox_spans (sandbox_id, first_seq, last_seq)
  SELECT sandbox_id, MIN(seq), MAX(seq) FROM records GROUP BY seq / 512, sandbox_id;
INSERT OR IGNORE INTO episode_spans (episode_id, first_seq, last_seq)
  SELECT episode_id, MIN(seq), MAX(seq) FROM records WHERE episode_id IS NOT NULL
  GROUP BY seq / 512, episode_id;
DROP INDEX IF EXISTS records_sandbox;
DROP INDEX IF EXISTS records_episode;
`;

/**
 * Creates the schema, or migrates an older one, in one transaction; refuses a newer one.
 * @throws Error naming both versions when the store was written by a newer cordon
 */
export function ensureSchema(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `its schema version is ${version}, newer than this cordon understands ` +
          `(${SCHEMA_VERSION}): open it with a newer cordon`,
      );
    }
    if (version === SCHEMA_VERSION) return;
    const existing = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'")
      .get();
    db.exec(SCHEMA_SQL);
    if (existing && version < 2) db.exec(MIGRATE_V1_SQL);
    if (existing) db.exec(MIGRATE_V2_SQL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** Pragmas every read-write connection uses: WAL, commits durable against a process crash. */
export function configureConnection(db: Database.Database): void {
  // Takes effect on a new, empty file only (before WAL writes its header): fewer page splits and
  // WAL frames per appended record than the default 4 KiB.
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536'); // 64 MiB: a million-record store keeps its index pages hot
}

/** Records a committed batch's seq and ts range (see `chain_batches`). */
export const WRITE_BATCH_SQL =
  'INSERT INTO chain_batches (first_seq, last_seq, min_ts, max_ts) VALUES (?, ?, ?, ?)';

/** Records where a sandbox's (episode's) records of a committed batch lie. */
export const WRITE_SANDBOX_SPAN_SQL =
  'INSERT INTO sandbox_spans (sandbox_id, first_seq, last_seq) VALUES (?, ?, ?)';
export const WRITE_EPISODE_SPAN_SQL =
  'INSERT INTO episode_spans (episode_id, first_seq, last_seq) VALUES (?, ?, ?)';

/** A row of `records` as SQLite returns it. */
export interface RecordRow {
  seq: number;
  ts: number;
  kind: string;
  sandbox_id: string;
  episode_id: string | null;
  step_id: string | null;
  severity: string | null;
  body: string;
  prev_hash: string;
  hash: string;
}

/** One stored event with its place in the chain. */
export interface AuditRecord {
  seq: number;
  ts: number;
  kind: EventKind;
  sandboxId: string;
  episodeId?: string | undefined;
  stepId?: string | undefined;
  /** Set on findings only. */
  severity?: Severity | undefined;
  event: CordonEvent;
  prevHash: string;
  hash: string;
}

/** A position in the chain: a record's seq and hash (seq 0 and the genesis hash before any). */
export interface ChainPoint {
  seq: number;
  hash: string;
}

/** What verify, prune, query and export need from a store: its connection and a way to flush. */
export interface StoreHandle {
  readonly db: Database.Database;
  /** Writes queued events; returns how many were written. */
  flush(): number;
}

export function rowToRecord(row: RecordRow): AuditRecord {
  return {
    seq: row.seq,
    ts: row.ts,
    kind: row.kind as EventKind,
    sandboxId: row.sandbox_id,
    ...(row.episode_id !== null ? { episodeId: row.episode_id } : {}),
    ...(row.step_id !== null ? { stepId: row.step_id } : {}),
    ...(row.severity !== null ? { severity: row.severity as Severity } : {}),
    event: JSON.parse(row.body) as CordonEvent,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function readMeta(db: Database.Database, key: 'anchor' | 'head'): ChainPoint | undefined {
  const row = db.prepare('SELECT seq, hash FROM chain_meta WHERE key = ?').get(key) as
    ChainPoint | undefined;
  return row ? { seq: row.seq, hash: row.hash } : undefined;
}

export const WRITE_META_SQL =
  'INSERT INTO chain_meta (key, seq, hash, at) VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT (key) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at';
