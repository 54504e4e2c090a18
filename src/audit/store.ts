/**
 * The audit store: events and findings appended in batches to a hash chain in SQLite
 * (`<dataDir>/audit.db`, WAL). Owns opening the database, the append queue and its hand-over to
 * the batch writer (batch-writer.ts: a worker thread that hashes and commits), and the bus
 * subscription; reading lives in query.ts, checking in verify.ts, pruning in prune.ts.
 */
import { closeSync, chmodSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CordonError } from '../errors.js';
import type { CordonEvent, EventBus } from '../events/index.js';
import { openWriter, type BatchWriter, type WorkerAnswer } from './batch-writer.js';
import { canonicalBody, GENESIS_HASH } from './canonical.js';
import { emptyBatch, type Batch } from './chain-writer.js';
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
  configureConnection,
  ensureSchema,
  readMeta,
  type AuditRecord,
  type ChainPoint,
  type StoreHandle,
} from './schema.js';

export interface AuditStoreOptions {
  /** Directory holding `audit.db`; created with mode 0700 when absent. */
  dataDir: string;
  /**
   * Most events held uncommitted at once: what a crash can lose. Inline, a batch of this many is
   * written as soon as it fills; with the worker, half of it is handed over at a time, so the next
   * half fills while one commits, and `append` waits only when the worker is this far behind.
   * Default 1024: every commit also rewrites the tree's last pages and the chain's bookkeeping
   * rows, so smaller batches cost more per event (512 handed over: 110k events/s with the worker;
   * 256: 94k). At 100k events/s that is 10 ms of events; the flush timer bounds a quiet stream.
   */
  batchSize?: number;
  /** Longest an event waits in memory before it is handed to the writer. Default 50 ms. */
  flushMs?: number;
  /** Called after each committed batch (metrics, tests). */
  onFlush?: (batch: { firstSeq: number; lastSeq: number; count: number }) => void;
  /** Called when a batch written in the background fails; its events are queued again and retried. */
  onError?: (error: CordonError) => void;
  /**
   * 'inline' (default): hashing and SQLite writes run on the caller's thread; 'worker': on a
   * worker thread, so the caller only serialises events (`cordon serve` uses it: its event loop
   * also answers the API). Inline suits short-lived processes such as `cordon run`: a worker
   * takes about 70 ms to boot and open the database, which a store closed soon after opening
   * waits for. A worker that cannot start falls back to inline (see `writerMode`).
   */
  writer?: 'worker' | 'inline';
  /** The worker module; defaults to the compiled write-worker.js beside this one. */
  workerScript?: URL;
}

/** Where cordon keeps its data when `--data-dir` is not given. */
export function defaultDataDir(): string {
  if (process.env.CORDON_DATA_DIR) return process.env.CORDON_DATA_DIR;
  if (process.getuid?.() === 0) return '/var/lib/cordon';
  const state = process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  return join(state, 'cordon');
}

function ioError(message: string, cause: unknown): CordonError {
  return new CordonError('CORDON_E_AUDIT_IO', `${message}: ${String(cause)}`, { cause });
}

/** `a` then `b` (a failed batch going back in front of the queue). */
function concatBatches(a: Batch, b: Batch): Batch {
  return {
    ts: a.ts.concat(b.ts),
    kind: a.kind.concat(b.kind),
    sandboxId: a.sandboxId.concat(b.sandboxId),
    episodeId: a.episodeId.concat(b.episodeId),
    stepId: a.stepId.concat(b.stepId),
    severity: a.severity.concat(b.severity),
    body: a.body.concat(b.body),
  };
}

export class AuditStore implements StoreHandle {
  private queue: Batch = emptyBatch();
  /** The batch the writer holds, until its answer is settled. */
  private inflight: { id: number; batch: Batch } | undefined;
  private nextId = 1;
  /** The flush timer fired while a batch was in flight: hand the queue over on its answer. */
  private due = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Queue length at which a batch is handed to the writer. */
  private threshold: number;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    private writer: BatchWriter,
    private readonly options: Required<Pick<AuditStoreOptions, 'batchSize' | 'flushMs'>> &
      AuditStoreOptions,
  ) {
    this.threshold =
      writer.mode === 'worker' ? Math.ceil(options.batchSize / 2) : options.batchSize;
    writer.onAnswer = (answer) => this.answered(answer);
  }

  /**
   * Opens (creating, or migrating an older schema) the store in `dataDir`.
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
    } catch (error) {
      throw ioError(`Could not open the audit store at ${path}`, error);
    }
    try {
      configureConnection(db);
      ensureSchema(db);
    } catch (error) {
      db.close();
      throw ioError(`Could not open the audit store at ${path}`, error);
    }
    const writer = openWriter(db, path, options);
    return new AuditStore(db, path, writer, { batchSize: 1024, flushMs: 50, ...options });
  }

  /** Where batches are hashed and written, and why not on a worker when they are not. */
  get writerMode(): { mode: 'worker' | 'inline'; reason?: string } {
    const { mode, reason } = this.writer;
    return reason === undefined ? { mode } : { mode, reason };
  }

  /**
   * Queues one event (serialised now, so later mutation of the object cannot change the record).
   * With the worker it never waits on the disk, unless the worker is `batchSize` events behind.
   */
  append(event: CordonEvent): void {
    if (this.closed) throw new CordonError('CORDON_E_AUDIT_IO', 'The audit store is closed');
    const q = this.queue;
    q.body.push(canonicalBody(event));
    q.ts.push(event.ts);
    q.kind.push(event.kind);
    q.sandboxId.push(event.sandboxId);
    q.episodeId.push(event.episodeId ?? null);
    q.stepId.push(event.stepId ?? null);
    q.severity.push(event.kind === 'finding' ? event.finding.severity : null);
    if (q.body.length < this.threshold) {
      this.timer ??= setTimeout(() => this.flushFromTimer(), this.options.flushMs).unref();
      return;
    }
    if (this.inflight) {
      // A caller appending in a tight loop never lets the answer's message event run: look.
      const answer = this.writer.poll(this.inflight.id);
      if (answer) this.throwIf(this.settle(answer));
      else if (q.body.length + this.inflight.batch.body.length < this.options.batchSize) return;
      else this.throwIf(this.settleInflight());
    }
    this.submit();
    if (this.writer.mode === 'inline') this.throwIf(this.settleInflight());
  }

  /** Events appended but not yet committed. */
  get pending(): number {
    return this.queue.body.length + (this.inflight?.batch.body.length ?? 0);
  }

  /** Commits every queued event (waiting for the writer); returns how many were written. */
  flush(): number {
    let written = 0;
    // At most two rounds: the batch already in flight, then the queue.
    while (this.inflight || this.queue.body.length > 0) {
      if (!this.inflight) this.submit();
      const count = this.inflight!.batch.body.length;
      this.throwIf(this.settleInflight());
      written += count;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return written;
  }

  private throwIf(error: CordonError | undefined): void {
    if (error) throw error;
  }

  /** Hands the queue to the writer as one batch; the caller made sure none is in flight. */
  private submit(): void {
    this.due = false;
    const batch = this.queue;
    this.queue = emptyBatch();
    const id = this.nextId++;
    this.inflight = { id, batch };
    this.writer.post(id, batch);
  }

  /** Waits for the in-flight batch's answer and settles it. */
  private settleInflight(): CordonError | undefined {
    if (!this.inflight) return undefined;
    return this.settle(this.writer.wait(this.inflight.id));
  }

  /** Applies the writer's answer to the in-flight batch: on failure it goes back in the queue. */
  private settle(answer: WorkerAnswer): CordonError | undefined {
    const batch = this.inflight!.batch;
    this.inflight = undefined;
    if ('error' in answer) {
      this.queue = concatBatches(batch, this.queue);
      // Fail closed onto the inline writer: slower, but the events still reach the chain.
      if (answer.fatal) this.useInline(answer.error);
      return ioError('Could not write to the audit store', answer.error);
    }
    const { head, count } = answer;
    this.options.onFlush?.({ firstSeq: head.seq - count + 1, lastSeq: head.seq, count });
    return undefined;
  }

  /** An answer that arrived while nobody was waiting for it (worker mode). */
  private answered(answer: WorkerAnswer): void {
    if ('fatal' in answer && !this.inflight) return this.useInline(answer.error);
    if (!this.inflight || (answer.id !== this.inflight.id && answer.id !== -1)) return;
    const error = this.settle(answer);
    if (error) return this.failed(error);
    const queued = this.queue.body.length;
    if (queued > 0 && (this.due || queued >= this.threshold)) this.submit();
  }

  private useInline(reason: string): void {
    this.writer = openWriter(this.db, this.path, { writer: 'inline', reason });
    this.threshold = this.options.batchSize;
  }

  private failed(error: CordonError): void {
    this.options.onError?.(error);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flushFromTimer(), this.options.flushMs * 10).unref();
  }

  private flushFromTimer(): void {
    this.timer = undefined;
    if (this.closed) return;
    if (this.writer.mode === 'worker') {
      // Never wait here: the answer to the batch in flight hands the queue over.
      if (this.inflight) this.due = true;
      else if (this.queue.body.length > 0) this.submit();
      return;
    }
    try {
      this.flush();
    } catch (error) {
      this.failed(error as CordonError);
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

  /** Flushes and closes (the writer too). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
      this.writer.close();
      this.db.close();
    }
  }
}
