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
 * time-range scan. Records and the chain are the same in both: a v1 store migrates in place.
 */
export const SCHEMA_VERSION = 2;

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
CREATE INDEX IF NOT EXISTS records_sandbox ON records (sandbox_id, seq);
CREATE INDEX IF NOT EXISTS records_episode ON records (episode_id, seq) WHERE episode_id IS NOT NULL;
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
    const isV1 = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'")
      .get();
    db.exec(SCHEMA_SQL);
    if (isV1) db.exec(MIGRATE_V1_SQL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** Pragmas every read-write connection uses: WAL, commits durable against a process crash. */
export function configureConnection(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536'); // 64 MiB: a million-record store keeps its index pages hot
}

/** Records a committed batch's seq and ts range (see `chain_batches`). */
export const WRITE_BATCH_SQL =
  'INSERT INTO chain_batches (first_seq, last_seq, min_ts, max_ts) VALUES (?, ?, ?, ?)';

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
