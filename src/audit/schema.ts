/**
 * The audit database: its SQL schema, the row and record types, and how a row becomes a record.
 * Every other audit module reads the database through these definitions.
 */
import type Database from 'better-sqlite3';
import type { CordonEvent, EventKind, Severity } from '../events/index.js';

export const SCHEMA_VERSION = 1;

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
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, seq);
CREATE INDEX IF NOT EXISTS records_ts ON records (ts);
-- 'anchor': seq and hash of the last pruned record; 'head': of the last record ever appended.
CREATE TABLE IF NOT EXISTS chain_meta (
  key TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  at INTEGER NOT NULL
);
`;

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
