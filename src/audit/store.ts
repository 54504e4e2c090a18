/**
 * The audit store: events and findings appended in batches to a hash chain in SQLite
 * (`<dataDir>/audit.db`, WAL). Owns opening the database, the append queue, batch writes and the
 * bus subscription; reading lives in query.ts, checking in verify.ts, pruning in prune.ts.
 */
import { closeSync, chmodSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CordonError } from '../errors.js';
import type { CordonEvent, EventBus } from '../events/index.js';
import { canonicalBody, GENESIS_HASH, recordHash, type HashedFields } from './canonical.js';
import {
  findings,
  query,
  sandboxes,
  type FindingFilter,
  type QueryFilter,
  type SandboxSummary,
  type StoredFinding,
} from './query.js';
import {
  readMeta,
  SCHEMA_SQL,
  WRITE_META_SQL,
  type AuditRecord,
  type ChainPoint,
  type StoreHandle,
} from './schema.js';

export interface AuditStoreOptions {
  /** Directory holding `audit.db`; created with mode 0700 when absent. */
  dataDir: string;
  /** Events per transaction; reaching it flushes at once. Default 512. */
  batchSize?: number;
  /** Longest an event waits in memory before it is written. Default 50 ms. */
  flushMs?: number;
  /** Called after each committed batch (metrics, tests). */
  onFlush?: (batch: { firstSeq: number; lastSeq: number; count: number }) => void;
  /** Called when a timer-driven flush fails; the events stay queued and are retried. */
  onError?: (error: CordonError) => void;
}

/** Where cordon keeps its data when `--data-dir` is not given. */
export function defaultDataDir(): string {
  if (process.env.CORDON_DATA_DIR) return process.env.CORDON_DATA_DIR;
  if (process.getuid?.() === 0) return '/var/lib/cordon';
  const state = process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  return join(state, 'cordon');
}

/** A queued event, already serialised; `seq` and `prevHash` are set when its batch is written. */
type Pending = HashedFields;

function toPending(event: CordonEvent): Pending {
  return {
    ts: event.ts,
    kind: event.kind,
    sandboxId: event.sandboxId,
    episodeId: event.episodeId ?? null,
    stepId: event.stepId ?? null,
    severity: event.kind === 'finding' ? event.finding.severity : null,
    body: canonicalBody(event),
    seq: 0,
    prevHash: '',
  };
}

function ioError(message: string, cause: unknown): CordonError {
  return new CordonError('CORDON_E_AUDIT_IO', `${message}: ${String(cause)}`, { cause });
}

export class AuditStore implements StoreHandle {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly writeBatch: (batch: Pending[]) => ChainPoint;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    private readonly options: Required<Pick<AuditStoreOptions, 'batchSize' | 'flushMs'>> &
      AuditStoreOptions,
  ) {
    const insert = db.prepare(
      'INSERT INTO records (seq, ts, kind, sandbox_id, episode_id, step_id, severity, body, ' +
        'prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const tail = db.prepare('SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1');
    const writeMeta = db.prepare(WRITE_META_SQL);
    const meta = db.prepare('SELECT seq, hash FROM chain_meta WHERE key = ?');
    // The tail is read inside the (IMMEDIATE) transaction, so a second writer process or a
    // concurrent prune can never fork the chain.
    const write = db.transaction((batch: Pending[]): ChainPoint => {
      let last = (tail.get() ?? meta.get('anchor')) as ChainPoint | undefined;
      const head = meta.get('head') as ChainPoint | undefined;
      // A head beyond the last row means rows were cut off the end: continue after the head so
      // the gap stays visible to verify instead of being papered over by new records.
      if (head && (!last || head.seq > last.seq)) last = head;
      let seq = last?.seq ?? 0;
      let prevHash = last?.hash ?? GENESIS_HASH;
      for (const p of batch) {
        p.seq = ++seq;
        p.prevHash = prevHash;
        const hash = recordHash(p);
        insert.run(
          seq,
          p.ts,
          p.kind,
          p.sandboxId,
          p.episodeId,
          p.stepId,
          p.severity,
          p.body,
          prevHash,
          hash,
        );
        prevHash = hash;
      }
      writeMeta.run('head', seq, prevHash, Date.now());
      return { seq, hash: prevHash };
    });
    this.writeBatch = (batch) => write.immediate(batch);
  }

  /**
   * Opens (creating if needed) the store in `dataDir`.
   * @example const store = AuditStore.open({ dataDir: '/var/lib/cordon' }); const off = store.attachToBus(bus);
   */
  static open(options: AuditStoreOptions): AuditStore {
    const path = join(options.dataDir, 'audit.db');
    let db: Database.Database;
    try {
      if (mkdirSync(options.dataDir, { recursive: true, mode: 0o700 }) !== undefined) {
        chmodSync(options.dataDir, 0o700); // mkdir's mode is filtered by the umask
      }
      // Create the file 0600 first: SQLite gives the -wal and -shm files the same mode.
      closeSync(openSync(path, 'a', 0o600));
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA_SQL);
    } catch (error) {
      throw ioError(`Could not open the audit store at ${path}`, error);
    }
    return new AuditStore(db, path, { batchSize: 512, flushMs: 50, ...options });
  }

  /** Queues one event (serialised now, so later mutation of the object cannot change the record). */
  append(event: CordonEvent): void {
    if (this.closed) throw new CordonError('CORDON_E_AUDIT_IO', 'The audit store is closed');
    this.queue.push(toPending(event));
    if (this.queue.length >= this.options.batchSize) this.flush();
    else this.timer ??= setTimeout(() => this.flushFromTimer(), this.options.flushMs).unref();
  }

  /** Events appended but not yet committed. */
  get pending(): number {
    return this.queue.length;
  }

  /** Commits every queued event in one transaction; returns how many were written. */
  flush(): number {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    if (batch.length === 0) return 0;
    let head: ChainPoint;
    try {
      head = this.writeBatch(batch);
    } catch (error) {
      throw ioError('Could not write to the audit store', error);
    }
    this.queue = [];
    this.options.onFlush?.({
      firstSeq: head.seq - batch.length + 1,
      lastSeq: head.seq,
      count: batch.length,
    });
    return batch.length;
  }

  private flushFromTimer(): void {
    this.timer = undefined;
    try {
      this.flush();
    } catch (error) {
      this.options.onError?.(error as CordonError);
      this.timer = setTimeout(() => this.flushFromTimer(), this.options.flushMs * 10).unref();
    }
  }

  /** Seq and hash of the last committed record (the anchor after a full prune; seq 0 when empty). */
  head(): ChainPoint {
    return readMeta(this.db, 'head') ?? { seq: 0, hash: GENESIS_HASH };
  }

  /**
   * Persists every event published on `bus` (findings included).
   * @returns the unsubscribe function (it flushes what is queued)
   */
  attachToBus(bus: EventBus): () => void {
    const off = bus.subscribe((event) => this.append(event));
    return () => {
      off();
      if (!this.closed) this.flush();
    };
  }

  /** Events matching `filter`, oldest first unless `order: 'desc'`. Flushes first. */
  query(filter: QueryFilter = {}): AuditRecord[] {
    this.flush();
    return query(this.db, filter);
  }

  findings(filter: FindingFilter = {}): StoredFinding[] {
    this.flush();
    return findings(this.db, filter);
  }

  sandboxes(filter: { episodeId?: string } = {}): SandboxSummary[] {
    this.flush();
    return sandboxes(this.db, filter);
  }

  /** Flushes and closes. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }
}
