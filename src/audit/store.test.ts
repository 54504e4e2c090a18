import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, test, vi } from 'vitest';
import { EventBus, type CordonEvent } from '../events/index.js';
import { GENESIS_HASH, recordHash } from './canonical.js';
import { sampleEvent } from '../../test/audit/fixtures/events.js';
import { AuditStore } from './store.js';
import { useTempStores, writeWorkerScript } from '../../test/audit/helpers.js';
import { verify } from './verify.js';

const temp = useTempStores();

function rows(dataDir: string): { seq: number; prev_hash: string; hash: string; body: string }[] {
  const db = new Database(join(dataDir, 'audit.db'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM records ORDER BY seq').all() as never;
  } finally {
    db.close();
  }
}

describe('AuditStore', () => {
  test('creates the data directory 0700 and audit.db 0600 with WAL', () => {
    const dataDir = join(temp.dir(), 'nested', 'data');
    const store = temp.open({ dataDir });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
  });

  test('chains each record to the previous one from the genesis hash', () => {
    const dataDir = join(temp.dir(), 'data');
    const store = temp.open({ dataDir });
    for (let i = 0; i < 5; i++) store.append(sampleEvent(i));
    expect(store.flush()).toBe(5);
    const stored = rows(dataDir);
    expect(stored.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(stored[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.prev_hash).toBe(stored[i - 1]!.hash);
    expect(JSON.parse(stored[3]!.body)).toEqual(sampleEvent(3));
    expect(store.head()).toEqual({ seq: 5, hash: stored[4]!.hash });
  });

  test('inline: writes a full batch at once and a partial one after flushMs', async () => {
    const dataDir = join(temp.dir(), 'data');
    const batches: number[] = [];
    const store = temp.open({
      dataDir,
      writer: 'inline',
      batchSize: 4,
      flushMs: 20,
      onFlush: (b) => batches.push(b.count),
    });
    expect(store.writerMode).toEqual({ mode: 'inline', reason: 'asked for' });
    for (let i = 0; i < 6; i++) store.append(sampleEvent(i));
    expect(rows(dataDir)).toHaveLength(4);
    expect(store.pending).toBe(2);
    await new Promise((r) => setTimeout(r, 80));
    expect(rows(dataDir)).toHaveLength(6);
    expect(batches).toEqual([4, 2]);
  });

  test('worker: append hands half a batch over without waiting for the commit', async () => {
    const dataDir = join(temp.dir(), 'data');
    const batches: number[] = [];
    const store = temp.open({
      dataDir,
      batchSize: 8,
      flushMs: 20,
      writer: 'worker',
      onFlush: (b) => batches.push(b.count),
    });
    expect(store.writerMode).toEqual({ mode: 'worker' });
    for (let i = 0; i < 6; i++) store.append(sampleEvent(i));
    // Four went to the worker at the fourth append; answers only arrive on the event loop, so
    // nothing is settled yet: append returned without waiting for SQLite.
    expect(store.pending).toBe(6);
    // The worker thread starts on the first batch: allow for a loaded machine.
    await vi.waitFor(() => expect(rows(dataDir)).toHaveLength(6), { timeout: 10_000 });
    expect(batches).toEqual([4, 2]);
    expect(store.pending).toBe(0);
    expect(verify(store)).toMatchObject({ ok: true, records: 6 });
  });

  test('worker: never holds batchSize events uncommitted (what a crash can lose)', () => {
    const dataDir = join(temp.dir(), 'data');
    const store = temp.open({ dataDir, batchSize: 16, writer: 'worker' });
    for (let i = 0; i < 500; i++) {
      store.append(sampleEvent(i));
      expect(store.pending).toBeLessThan(16);
    }
    store.flush();
    expect(rows(dataDir)).toHaveLength(500);
  });

  test('worker: flush and close wait for every batch, in order', () => {
    const dataDir = join(temp.dir(), 'data');
    const store = AuditStore.open({
      dataDir,
      batchSize: 64,
      writer: 'worker',
      workerScript: writeWorkerScript(),
    });
    for (let i = 0; i < 1000; i++) store.append(sampleEvent(i));
    store.close();
    const stored = rows(dataDir);
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(stored.map((r) => (JSON.parse(r.body) as CordonEvent).id)).toEqual(
      Array.from({ length: 1000 }, (_, i) => `e-${i}`),
    );
    expect(verify(dataDir)).toMatchObject({ ok: true, records: 1000 });
  });

  test('a worker and an inline writer on one store, in turns, keep one chain', () => {
    const dataDir = join(temp.dir(), 'data');
    const serving = temp.open({ dataDir, batchSize: 8, writer: 'worker' });
    const other = temp.open({ dataDir, writer: 'inline' });
    // Queued by `serving` first, committed after `other`'s: they go on the tail `other` left.
    for (let i = 0; i < 3; i++) serving.append(sampleEvent(i));
    for (let i = 100; i < 105; i++) other.append(sampleEvent(i));
    other.flush();
    for (let i = 3; i < 40; i++) serving.append(sampleEvent(i));
    serving.flush();
    other.append(sampleEvent(105));
    other.flush();
    for (let i = 40; i < 50; i++) serving.append(sampleEvent(i));
    serving.flush();
    const ids = rows(dataDir).map((r) => (JSON.parse(r.body) as CordonEvent).id);
    expect(ids).toEqual([
      ...[100, 101, 102, 103, 104].map((i) => `e-${i}`),
      ...Array.from({ length: 40 }, (_, i) => `e-${i}`),
      'e-105',
      ...Array.from({ length: 10 }, (_, i) => `e-${40 + i}`),
    ]);
    expect(verify(dataDir)).toMatchObject({ ok: true, records: 56 });
  });

  test('falls back to the inline writer, and says why, when the worker script is absent', () => {
    const dataDir = join(temp.dir(), 'data');
    const store = temp.open({
      dataDir,
      writer: 'worker',
      workerScript: new URL('file:///nonexistent/worker.js'),
    });
    expect(store.writerMode).toEqual({
      mode: 'inline',
      reason: 'the compiled write worker (write-worker.js) is absent',
    });
    store.append(sampleEvent(0));
    expect(store.flush()).toBe(1);
    expect(verify(store)).toMatchObject({ ok: true, records: 1 });
  });

  test('a worker that dies is replaced by the inline writer, and no event is lost', async () => {
    const dataDir = join(temp.dir(), 'data');
    const broken = join(temp.dir(), 'broken-worker.mjs');
    writeFileSync(broken, "throw new Error('boom');\n");
    const store = temp.open({ dataDir, writer: 'worker', workerScript: pathToFileURL(broken) });
    store.append(sampleEvent(0));
    await vi.waitFor(() => expect(store.writerMode.mode).toBe('inline'), { timeout: 10_000 });
    expect(store.writerMode.reason).toContain('boom');
    store.append(sampleEvent(1));
    expect(store.flush()).toBe(2);
    expect(verify(store)).toMatchObject({ ok: true, records: 2 });
  });

  test('continues the chain after reopening, and two writers never fork it', () => {
    const dataDir = join(temp.dir(), 'data');
    const a = AuditStore.open({ dataDir });
    a.append(sampleEvent(0));
    a.close();
    const b = temp.open({ dataDir });
    const c = temp.open({ dataDir });
    for (let i = 1; i < 9; i++) {
      (i % 2 ? b : c).append(sampleEvent(i));
      (i % 2 ? b : c).flush();
    }
    expect(rows(dataDir).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(verify(dataDir)).toMatchObject({ ok: true, records: 9 });
  });

  test('the stored hash is sha256 over prev_hash and the canonical record', () => {
    const dataDir = join(temp.dir(), 'data');
    const store = temp.open({ dataDir });
    const event = sampleEvent(3);
    store.append(event);
    store.flush();
    const [row] = rows(dataDir);
    expect(row!.hash).toBe(
      recordHash({
        seq: 1,
        ts: event.ts,
        kind: 'finding',
        sandboxId: event.sandboxId,
        episodeId: event.episodeId ?? null,
        stepId: event.stepId ?? null,
        severity: 'high',
        body: row!.body,
        prevHash: GENESIS_HASH,
      }),
    );
  });

  test('attachToBus persists every published event and off() flushes', () => {
    const dataDir = join(temp.dir(), 'data');
    const store = temp.open({ dataDir });
    const bus = new EventBus();
    const off = store.attachToBus(bus);
    bus.publish({
      kind: 'sandbox.start',
      sandboxId: 'sb-x',
      episodeId: 'ep-9',
      detail: { labels: { episode: '9' } },
    });
    bus.publish({
      kind: 'net.drop',
      sandboxId: 'sb-x',
      protocol: 'udp',
      address: '198.18.0.1',
      port: 53,
    });
    off();
    bus.publish({ kind: 'sandbox.end', sandboxId: 'sb-x' });
    expect(rows(dataDir).map((r) => (JSON.parse(r.body) as CordonEvent).kind)).toEqual([
      'sandbox.start',
      'net.drop',
    ]);
    expect(bus.listenerCount).toBe(0);
  });
});

describe('queries', () => {
  function filled(): AuditStore {
    const store = temp.open();
    for (let i = 0; i < 48; i++) store.append(sampleEvent(i));
    store.append({
      id: 's',
      ts: 1_700_000_000_100,
      kind: 'sandbox.start',
      sandboxId: 'sb-1',
      detail: { labels: { team: 'rl' } },
    });
    store.append({ id: 'e', ts: 1_700_000_000_101, kind: 'sandbox.end', sandboxId: 'sb-1' });
    return store;
  }

  test('filters by sandbox, episode, step, kinds, severity and seq, in order', () => {
    const store = filled();
    const bySandbox = store.query({ sandboxId: 'sb-1' });
    expect(bySandbox.length).toBe(14);
    expect(bySandbox.every((r) => r.sandboxId === 'sb-1')).toBe(true);
    expect(bySandbox.map((r) => r.seq)).toEqual(
      [...bySandbox.map((r) => r.seq)].sort((a, b) => a - b),
    );
    expect(store.query({ episodeId: 'ep-0', stepId: 'step-2' }).map((r) => r.event.id)).toEqual([
      'e-2',
      'e-10',
      'e-18',
      'e-26',
      'e-34',
      'e-42',
    ]);
    expect(
      store.query({ kinds: ['net.dns', 'net.flow'] }).every((r) => r.kind.startsWith('net.')),
    ).toBe(true);
    const severe = store.query({ minSeverity: 'high' });
    expect(severe.length).toBeGreaterThan(0);
    expect(severe.every((r) => r.severity === 'high' || r.severity === 'critical')).toBe(true);
    expect(store.query({ afterSeq: 45 }).map((r) => r.seq)).toEqual([46, 47, 48, 49, 50]);
    expect(store.query({ order: 'desc', limit: 2 }).map((r) => r.seq)).toEqual([50, 49]);
  });

  test('findings returns the findings with their seq', () => {
    const store = filled();
    const found = store.findings({ sandboxId: 'sb-3' });
    expect(found.map((f) => f.id)).toEqual(['f-3', 'f-15', 'f-27', 'f-39']);
    expect(found[0]!.seq).toBe(4);
    expect(found[0]!.rule).toBe('net.ssh-banner-to-unlisted-host');
  });

  test('sandboxes summarises counts, episodes, labels, span and worst severity', () => {
    const store = filled();
    const summaries = store.sandboxes();
    expect(summaries.map((s) => s.sandboxId).sort()).toEqual(['sb-0', 'sb-1', 'sb-2', 'sb-3']);
    const sb1 = summaries.find((s) => s.sandboxId === 'sb-1')!;
    expect(sb1).toMatchObject({
      labels: { team: 'rl' },
      ended: true,
      events: 14,
      episodeIds: ['ep-1'],
    });
    expect(sb1.counts['net.flow']).toBe(4);
    const sb3 = summaries.find((s) => s.sandboxId === 'sb-3')!;
    expect(sb3.findings).toBe(4);
    expect(sb3.worstSeverity).toBe('critical');
    expect(
      store
        .sandboxes({ episodeId: 'ep-0' })
        .map((s) => s.sandboxId)
        .sort(),
    ).toEqual(['sb-0', 'sb-2']);
  });
});
