import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { sampleEvent } from '../../test/audit/fixtures/events.js';
import { useTempStores } from '../../test/audit/helpers.js';
import { SCHEMA_VERSION } from './schema.js';
import { AuditStore } from './store.js';
import { verify } from './verify.js';

const temp = useTempStores();
const T0 = 1_700_000_000_000; // sampleEvent(i).ts === T0 + i

/** Turns a fresh store's file into what cordon wrote before schema 2 (same records and chain). */
function downgradeToV1(file: string): void {
  const db = new Database(file);
  try {
    db.exec(`
      DROP INDEX records_findings;
      DROP TABLE chain_batches;
      CREATE INDEX records_kind ON records (kind, seq);
      CREATE INDEX records_ts ON records (ts);
      PRAGMA user_version = 0;
    `);
  } finally {
    db.close();
  }
}

function indexes(db: Database.Database): string[] {
  return (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'records_%'")
      .all() as { name: string }[]
  )
    .map((r) => r.name)
    .sort();
}

describe('schema', () => {
  test('a new store is at the current version with only the indexes queries need', () => {
    const store = temp.open();
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(indexes(store.db)).toEqual(['records_episode', 'records_findings', 'records_sandbox']);
  });

  test('migrates a version 1 store in place: same chain, new indexes, batches summarised', () => {
    const dataDir = join(temp.dir(), 'data');
    const old = temp.open({ dataDir, writer: 'inline' });
    for (let i = 0; i < 1200; i++) old.append(sampleEvent(i));
    old.close();
    downgradeToV1(join(dataDir, 'audit.db'));
    const store = temp.open({ dataDir });
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(indexes(store.db)).toEqual(['records_episode', 'records_findings', 'records_sandbox']);
    const batches = store.db
      .prepare('SELECT first_seq, last_seq, min_ts, max_ts FROM chain_batches ORDER BY first_seq')
      .all();
    expect(batches).toEqual([
      { first_seq: 1, last_seq: 511, min_ts: T0, max_ts: T0 + 510 },
      { first_seq: 512, last_seq: 1023, min_ts: T0 + 511, max_ts: T0 + 1022 },
      { first_seq: 1024, last_seq: 1200, min_ts: T0 + 1023, max_ts: T0 + 1199 },
    ]);
    expect(store.query({ sinceTs: T0 + 1195 }).map((r) => r.seq)).toEqual([
      1196, 1197, 1198, 1199, 1200,
    ]);
    store.append(sampleEvent(1200));
    expect(verify(store)).toMatchObject({ ok: true, records: 1201 });
  });

  test('refuses a store written by a newer cordon, naming both versions', () => {
    const dataDir = join(temp.dir(), 'data');
    temp.open({ dataDir }).close();
    const db = new Database(join(dataDir, 'audit.db'));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => AuditStore.open({ dataDir })).toThrow(
      expect.objectContaining({
        code: 'CORDON_E_AUDIT_IO',
        message: expect.stringContaining(
          `schema version is ${SCHEMA_VERSION + 1}, newer than this cordon understands (${SCHEMA_VERSION})`,
        ) as unknown,
      }),
    );
  });

  test('time-range queries stay exact without a ts index, even with out-of-order timestamps', () => {
    const store = temp.open({ batchSize: 8 });
    // Batches of 4: ts goes back once, inside the third batch.
    const ts = [1, 2, 3, 4, 5, 6, 7, 8, 20, 21, 9, 22, 30, 31, 32, 33];
    for (const [i, t] of ts.entries()) store.append({ ...sampleEvent(i), ts: T0 + t });
    store.flush();
    const since = (t: number): number[] => store.query({ sinceTs: T0 + t }).map((r) => r.seq);
    const expected = (t: number): number[] => ts.flatMap((x, i) => (x >= t ? [i + 1] : []));
    for (const t of [0, 5, 9, 10, 21, 30, 33, 34]) expect(since(t)).toEqual(expected(t));
    expect(store.query({ sinceTs: T0 + 8, untilTs: T0 + 21 }).map((r) => r.seq)).toEqual([
      8, 9, 11,
    ]);
  });

  test('finding queries use the partial findings index, not a scan', () => {
    const store = temp.open();
    const plan = (sql: string): string =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
        .map((r) => r.detail)
        .join('; ');
    expect(
      plan(
        "SELECT * FROM records WHERE kind IN ('finding') AND severity IS NOT NULL ORDER BY seq LIMIT 10",
      ),
    ).toContain('records_findings');
    expect(
      plan("SELECT * FROM records WHERE severity IN ('high','critical') ORDER BY seq LIMIT 10"),
    ).toContain('records_findings');
  });
});
