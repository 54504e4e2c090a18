import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { sampleEvent } from '../../test/audit/fixtures/events.js';
import { useTempStores } from '../../test/audit/helpers.js';
import { querySql } from './query.js';
import { SCHEMA_VERSION } from './schema.js';
import { AuditStore } from './store.js';
import { verify } from './verify.js';

const temp = useTempStores();
const T0 = 1_700_000_000_000; // sampleEvent(i).ts === T0 + i

function execOn(file: string, sql: string): void {
  const db = new Database(file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/** Turns a fresh store's file into what cordon wrote with schema 2 (same records and chain). */
function downgradeToV2(file: string): void {
  execOn(
    file,
    `
      DROP TABLE sandbox_spans;
      DROP TABLE episode_spans;
      CREATE INDEX records_sandbox ON records (sandbox_id, seq);
      CREATE INDEX records_episode ON records (episode_id, seq) WHERE episode_id IS NOT NULL;
      PRAGMA user_version = 2;
    `,
  );
}

/** ... and before schema 2. */
function downgradeToV1(file: string): void {
  downgradeToV2(file);
  execOn(
    file,
    `
      DROP INDEX records_findings;
      DROP TABLE chain_batches;
      CREATE INDEX records_kind ON records (kind, seq);
      CREATE INDEX records_ts ON records (ts);
      PRAGMA user_version = 0;
    `,
  );
}

/** A store of `n` records; `downgrade` rewrites its file to an older schema before it is reopened. */
function olderStore(n: number, downgrade: (file: string) => void): AuditStore {
  const dataDir = join(temp.dir(), 'data');
  const old = temp.open({ dataDir, writer: 'inline' });
  for (let i = 0; i < n; i++) old.append(sampleEvent(i));
  old.close();
  downgrade(join(dataDir, 'audit.db'));
  return temp.open({ dataDir });
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
  test('a new store is at the current version, with 16 KiB pages and no per-record index but findings', () => {
    const store = temp.open();
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('page_size', { simple: true })).toBe(16384);
    expect(indexes(store.db)).toEqual(['records_findings']);
  });

  test('migrates a version 2 store in place: same chain, spans built, per-record indexes gone', () => {
    const store = olderStore(1200, downgradeToV2);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(indexes(store.db)).toEqual(['records_findings']);
    // sampleEvent(i) is in sandbox sb-(i % 4), episode ep-(i % 2): seq i + 1.
    const sb2 = store.query({ sandboxId: 'sb-2', limit: 10_000 }).map((r) => r.seq);
    expect(sb2).toEqual(Array.from({ length: 300 }, (_, k) => 3 + 4 * k));
    expect(store.query({ episodeId: 'ep-0', afterSeq: 1190 }).map((r) => r.seq)).toEqual([
      1191, 1193, 1195, 1197, 1199,
    ]);
    store.append(sampleEvent(1200, 'sb-2'));
    expect(store.query({ sandboxId: 'sb-2', order: 'desc', limit: 2 }).map((r) => r.seq)).toEqual([
      1201, 1199,
    ]);
    expect(verify(store)).toMatchObject({ ok: true, records: 1201 });
  });

  test('migrates a version 1 store in place: same chain, new indexes, batches summarised', () => {
    const store = olderStore(1200, downgradeToV1);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(indexes(store.db)).toEqual(['records_findings']);
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
    expect(store.query({ sandboxId: 'sb-1', sinceTs: T0 + 1190 }).map((r) => r.seq)).toEqual([
      1194, 1198,
    ]);
    store.append(sampleEvent(1200));
    expect(verify(store)).toMatchObject({ ok: true, records: 1201 });
  });

  test('queries by sandbox and episode match a filter over every record, in both orders and pages', () => {
    const store = temp.open({ batchSize: 16 });
    // Seeded interleaving of 7 sandboxes over 3 episodes (and none), across 60 batches.
    let seed = 42;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const all = Array.from({ length: 960 }, (_, i) => {
      const ep = next(4);
      return { ...sampleEvent(i, `sb-${next(7)}`), episodeId: ep === 3 ? undefined : `ep-${ep}` };
    });
    for (const e of all) store.append(e);
    const expected = (keep: (e: (typeof all)[number]) => boolean): number[] =>
      all.flatMap((e, i) => (keep(e) ? [i + 1] : []));
    const seqs = (f: Parameters<AuditStore['query']>[0]): number[] =>
      store.query({ limit: 10_000, ...f }).map((r) => r.seq);
    for (let k = 0; k < 7; k++) {
      const sandboxId = `sb-${k}`;
      const mine = expected((e) => e.sandboxId === sandboxId);
      expect(seqs({ sandboxId })).toEqual(mine);
      expect(seqs({ sandboxId, order: 'desc', limit: 5 })).toEqual(
        mine.slice().reverse().slice(0, 5),
      );
      expect(seqs({ sandboxId, afterSeq: 400, beforeSeq: 700 })).toEqual(
        mine.filter((s) => s > 400 && s < 700),
      );
      expect(seqs({ sandboxId, episodeId: 'ep-1' })).toEqual(
        expected((e) => e.sandboxId === sandboxId && e.episodeId === 'ep-1'),
      );
    }
    expect(seqs({ episodeId: 'ep-2' })).toEqual(expected((e) => e.episodeId === 'ep-2'));
    expect(
      store
        .sandboxes({ episodeId: 'ep-0' })
        .map((s) => s.sandboxId)
        .sort(),
    ).toEqual(
      [...new Set(all.filter((e) => e.episodeId === 'ep-0').map((e) => e.sandboxId))].sort(),
    );
  });

  test('a query by sandbox reads its spans in seq order: no sort, no scan of records', () => {
    const store = temp.open();
    for (const order of ['asc', 'desc'] as const) {
      const { sql, params } = querySql({ sandboxId: 'sb-1', order, limit: 10 });
      const plan = (
        store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as {
          detail: string;
        }[]
      ).map((r) => r.detail);
      expect(plan).toEqual([
        'SEARCH s USING PRIMARY KEY (sandbox_id=?)',
        'SEARCH r USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)',
      ]);
      expect(plan.join('; ')).not.toMatch(/TEMP B-TREE|SCAN r/);
    }
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
