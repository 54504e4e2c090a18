import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { sampleEvent } from '../../test/audit/fixtures/events.js';
import { prune } from './prune.js';
import { useTempStores } from '../../test/audit/helpers.js';
import { verify } from './verify.js';

const temp = useTempStores();
const T0 = 1_700_000_000_000; // sampleEvent(i).ts === T0 + i

function count(dataDir: string): number {
  const db = new Database(join(dataDir, 'audit.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM records').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('prune', () => {
  test('deletes records older than the date and the chain still verifies', () => {
    const dataDir = join(temp.dir(), 'data');
    const store = temp.open({ dataDir });
    for (let i = 0; i < 100; i++) store.append(sampleEvent(i));
    const result = prune(store, new Date(T0 + 40));
    expect(result.removed).toBe(40);
    expect(result.anchor?.seq).toBe(40);
    expect(count(dataDir)).toBe(60);
    expect(store.query({ limit: 1 })[0]!.seq).toBe(41);
    expect(verify(store)).toMatchObject({ ok: true, records: 60, anchor: { seq: 40 } });
    // The chain goes on from the kept records; a second prune moves the anchor.
    for (let i = 100; i < 110; i++) store.append(sampleEvent(i));
    expect(prune(store, new Date(T0 + 50)).removed).toBe(10);
    expect(verify(dataDir)).toMatchObject({ ok: true, records: 60 });
  });

  test('pruning everything leaves an empty, verifiable chain that later appends continue', () => {
    const dataDir = join(temp.dir(), 'data');
    const store = temp.open({ dataDir });
    for (let i = 0; i < 10; i++) store.append(sampleEvent(i));
    expect(prune(store, new Date(T0 + 1e6)).removed).toBe(10);
    expect(count(dataDir)).toBe(0);
    expect(verify(store)).toMatchObject({ ok: true, records: 0 });
    store.append(sampleEvent(10));
    expect(store.query()[0]!.seq).toBe(11);
    expect(verify(store)).toMatchObject({ ok: true, records: 1 });
  });

  test('keeps records after the cutoff even when an older timestamp follows', () => {
    const store = temp.open();
    for (const ts of [1, 2, 10, 3, 11]) store.append({ ...sampleEvent(0), ts: T0 + ts });
    expect(prune(store, new Date(T0 + 5)).removed).toBe(2); // seq 4 (ts 3) sits after seq 3 (ts 10)
    expect(verify(store).ok).toBe(true);
  });

  test('an edited anchor is named bad-anchor', () => {
    const dataDir = join(temp.dir(), 'data');
    const store = temp.open({ dataDir });
    for (let i = 0; i < 20; i++) store.append(sampleEvent(i));
    prune(store, new Date(T0 + 5));
    store.db
      .prepare("UPDATE chain_meta SET hash = 'ff' || substr(hash, 3) WHERE key = 'anchor'")
      .run();
    expect(verify(store).firstBad).toEqual({ seq: 6, problem: 'bad-anchor' });
  });

  test('refuses to prune a chain that does not verify, unless forced', () => {
    const dataDir = join(temp.dir(), 'data');
    const store = temp.open({ dataDir });
    for (let i = 0; i < 20; i++) store.append(sampleEvent(i));
    store.flush();
    store.db.prepare("UPDATE records SET body = replace(body, 'curl', 'wget') WHERE seq = 7").run();
    expect(() => prune(store, new Date(T0 + 10))).toThrow(
      expect.objectContaining({ code: 'CORDON_E_AUDIT_CORRUPT' }),
    );
    expect(count(dataDir)).toBe(20);
    expect(prune(store, new Date(T0 + 10), { force: true }).removed).toBe(10);
  });
});
