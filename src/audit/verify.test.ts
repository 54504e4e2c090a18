import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { canonicalBody, recordHash } from './canonical.js';
import { sampleEvent } from '../../test/audit/fixtures/events.js';
import type { RecordRow } from './schema.js';
import { AuditStore } from './store.js';
import { useTempStores } from '../../test/audit/helpers.js';
import { verify } from './verify.js';

const temp = useTempStores();

/** A closed store of `n` records, and a raw sqlite connection to tamper with it. */
function chainOf(n: number): {
  dataDir: string;
  tamper: (fn: (db: Database.Database) => void) => void;
} {
  const dataDir = join(temp.dir(), 'data');
  const store = AuditStore.open({ dataDir, batchSize: 7 });
  for (let i = 0; i < n; i++) store.append(sampleEvent(i));
  store.close();
  return {
    dataDir,
    tamper: (fn) => {
      const db = new Database(join(dataDir, 'audit.db'));
      try {
        fn(db);
      } finally {
        db.close();
      }
    },
  };
}

function rehash(db: Database.Database, seq: number): void {
  const row = db.prepare('SELECT * FROM records WHERE seq = ?').get(seq) as RecordRow;
  const hash = recordHash({
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
  db.prepare('UPDATE records SET hash = ? WHERE seq = ?').run(hash, seq);
}

describe('verify', () => {
  test('passes on an untouched chain, by store or by path', () => {
    const { dataDir } = chainOf(30);
    expect(verify(dataDir)).toMatchObject({ ok: true, records: 30, head: { seq: 30 } });
    expect(verify(join(dataDir, 'audit.db')).ok).toBe(true);
    const store = temp.open({ dataDir });
    store.append(sampleEvent(30)); // still queued: verify(store) flushes it first
    expect(verify(store)).toMatchObject({ ok: true, records: 31 });
  });

  test('names the first record whose body was edited', () => {
    const { dataDir, tamper } = chainOf(30);
    tamper((db) => {
      const edited = canonicalBody({ ...sampleEvent(12), argv: ['true'] });
      db.prepare('UPDATE records SET body = ? WHERE seq = 13').run(edited);
      db.prepare("UPDATE records SET body = replace(body, 'deny', 'allow') WHERE seq = 20").run();
    });
    expect(verify(dataDir)).toMatchObject({
      ok: false,
      records: 12,
      firstBad: { seq: 13, problem: 'changed' },
    });
  });

  test('names an edited indexed column (sandbox_id) as changed', () => {
    const { dataDir, tamper } = chainOf(10);
    tamper((db) => db.prepare("UPDATE records SET sandbox_id = 'sb-innocent' WHERE seq = 4").run());
    expect(verify(dataDir).firstBad).toEqual({ seq: 4, problem: 'changed' });
  });

  test('catches an edit whose hash was recomputed, through the next record', () => {
    const { dataDir, tamper } = chainOf(10);
    tamper((db) => {
      db.prepare("UPDATE records SET body = replace(body, 'deny', 'allow') WHERE seq = 2").run();
      rehash(db, 2);
    });
    expect(verify(dataDir).firstBad).toEqual({ seq: 2, problem: 'changed' });
  });

  test('names a deleted row as removed', () => {
    const { dataDir, tamper } = chainOf(30);
    tamper((db) => db.prepare('DELETE FROM records WHERE seq IN (17, 18)').run());
    expect(verify(dataDir)).toMatchObject({
      ok: false,
      records: 16,
      firstBad: { seq: 17, problem: 'removed' },
    });
  });

  test('names a removed first record and a truncated tail', () => {
    const first = chainOf(5);
    first.tamper((db) => db.prepare('DELETE FROM records WHERE seq = 1').run());
    expect(verify(first.dataDir).firstBad).toEqual({ seq: 1, problem: 'removed' });
    const tail = chainOf(5);
    tail.tamper((db) => db.prepare('DELETE FROM records WHERE seq >= 4').run());
    expect(verify(tail.dataDir).firstBad).toEqual({ seq: 4, problem: 'removed' });
    // Appending after the cut does not hide it: new records continue after the recorded head.
    const store = temp.open({ dataDir: tail.dataDir });
    store.append(sampleEvent(5));
    expect(verify(store).firstBad).toEqual({ seq: 4, problem: 'removed' });
  });

  test('names two swapped rows as reordered', () => {
    const { dataDir, tamper } = chainOf(30);
    tamper((db) => {
      // Swap the rows' places (their seq), the way an attacker reorders history with sqlite.
      db.prepare('UPDATE records SET seq = -1 WHERE seq = 8').run();
      db.prepare('UPDATE records SET seq = 8 WHERE seq = 9').run();
      db.prepare('UPDATE records SET seq = 9 WHERE seq = -1').run();
    });
    expect(verify(dataDir)).toMatchObject({
      ok: false,
      records: 7,
      firstBad: { seq: 8, problem: 'reordered' },
    });
  });

  test('names rows whose contents were swapped in place as reordered', () => {
    const { dataDir, tamper } = chainOf(30);
    tamper((db) => {
      const cols = 'ts, kind, sandbox_id, episode_id, step_id, severity, body, prev_hash, hash';
      db.exec(`CREATE TEMP TABLE t AS SELECT * FROM records WHERE seq IN (21, 25)`);
      db.exec(
        `UPDATE records SET (${cols}) = (SELECT ${cols} FROM t WHERE t.seq = 46 - records.seq) WHERE seq IN (21, 25)`,
      );
    });
    expect(verify(dataDir).firstBad).toEqual({ seq: 21, problem: 'reordered' });
  });

  test('reports an unreadable path with a typed error', () => {
    expect(() => verify(join(temp.dir(), 'nope'))).toThrow(
      expect.objectContaining({ code: 'CORDON_E_AUDIT_IO' }),
    );
  });
});
