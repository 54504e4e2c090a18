/**
 * Where the store's batches are hashed and committed: on a worker thread (write-worker.ts) so the
 * event bus's thread never waits on SQLite, or inline on the caller's thread when no worker can
 * start (the reason is kept for the user to see). Both answer each batch in the order posted.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { chainWriter, type Batch } from './chain-writer.js';
import type { ChainPoint } from './schema.js';
import type { WorkerAnswer, WorkerRequest, WriteWorkerData } from './write-worker.js';

export type { WorkerAnswer } from './write-worker.js';

export interface BatchWriter {
  readonly mode: 'worker' | 'inline';
  /** Why batches are written inline (unset in worker mode). */
  readonly reason?: string | undefined;
  /** Starts committing `batch`; its answer comes from `wait(id)` or, unawaited, `onAnswer`. */
  post(id: number, batch: Batch): void;
  /** Blocks until the answer to batch `id` (the latest posted) is in, and returns it. */
  wait(id: number): WorkerAnswer;
  /** The answer to batch `id` if it is in already; never blocks. */
  poll(id: number): WorkerAnswer | undefined;
  onAnswer: (answer: WorkerAnswer) => void;
  close(): void;
}

/** Longest a synchronous wait for the worker lasts before it reports the worker as gone. */
const WAIT_LIMIT_MS = 30_000;

class InlineWriter implements BatchWriter {
  readonly mode = 'inline';
  onAnswer: (answer: WorkerAnswer) => void = () => {};
  private readonly write: (batch: Batch) => ChainPoint;
  private last: WorkerAnswer | undefined;

  constructor(
    db: Database.Database,
    readonly reason: string | undefined,
  ) {
    this.write = chainWriter(db);
  }

  post(id: number, batch: Batch): void {
    try {
      this.last = { id, count: batch.body.length, head: this.write(batch) };
    } catch (error) {
      this.last = { id, error: String(error) };
    }
  }

  wait(id: number): WorkerAnswer {
    return this.last?.id === id ? this.last : { id, error: 'no batch in flight' };
  }

  poll(id: number): WorkerAnswer | undefined {
    return this.wait(id);
  }

  close(): void {}
}

class WorkerWriter implements BatchWriter {
  readonly mode = 'worker';
  readonly reason = undefined;
  onAnswer: (answer: WorkerAnswer) => void = () => {};
  private readonly done = new Int32Array(new SharedArrayBuffer(8));
  private started: { worker: Worker; port: MessagePort } | undefined;

  constructor(
    private readonly path: string,
    private readonly script: URL,
  ) {
    // Start now: a thread takes tens of ms to boot, which the first batch should not wait for.
    void this.port;
  }

  private get port(): MessagePort {
    if (this.started) return this.started.port;
    const { port1, port2 } = new MessageChannel();
    const workerData: WriteWorkerData = { path: this.path, port: port2, done: this.done };
    const worker = new Worker(this.script, { workerData, transferList: [port2] });
    // Neither keeps the process alive: like the flush timer, an unflushed queue does not.
    worker.unref();
    worker.on('error', (error) => {
      Atomics.store(this.done, 1, 1);
      this.onAnswer({ id: -1, error: `the write worker failed: ${String(error)}`, fatal: true });
    });
    port1.on('message', (answer: WorkerAnswer) => this.onAnswer(answer));
    port1.unref();
    this.started = { worker, port: port1 };
    return port1;
  }

  post(id: number, batch: Batch): void {
    this.port.postMessage({ id, batch } satisfies WorkerRequest);
  }

  wait(id: number): WorkerAnswer {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      // Answers are posted before `done` is bumped, so a bumped `done` means one is queued here.
      const received = receiveMessageOnPort(this.port);
      if (received) {
        const answer = received.message as WorkerAnswer;
        if (answer.id === id) return answer;
        continue;
      }
      const seen = Atomics.load(this.done, 0);
      if (seen >= id) continue;
      if (Atomics.load(this.done, 1) !== 0 || Date.now() > deadline) {
        void this.started?.worker.terminate();
        return { id, error: 'the write worker stopped answering', fatal: true };
      }
      Atomics.wait(this.done, 0, seen, 1000);
    }
  }

  poll(id: number): WorkerAnswer | undefined {
    // One shared-memory read: cheap enough for every append while a batch is in flight.
    return Atomics.load(this.done, 0) >= id ? this.wait(id) : undefined;
  }

  close(): void {
    if (!this.started) return;
    this.started.port.postMessage({ close: true } satisfies WorkerRequest);
    this.started.port.close();
  }
}

/** The compiled worker beside this module; absent when running from TypeScript source. */
function defaultScript(): URL | undefined {
  try {
    return new URL('./write-worker.js', import.meta.url);
  } catch {
    return undefined; // bundled without import.meta.url
  }
}

/**
 * A worker writer when `writer` is 'worker' and the worker script exists, else inline.
 * @param script the worker module (tests running from source pass a bundle of write-worker.ts)
 */
export function openWriter(
  db: Database.Database,
  path: string,
  options: { writer?: 'worker' | 'inline'; workerScript?: URL | undefined; reason?: string },
): BatchWriter {
  if (options.writer === 'inline') return new InlineWriter(db, options.reason ?? 'asked for');
  if (options.writer !== 'worker') return new InlineWriter(db, options.reason);
  const script = options.workerScript ?? defaultScript();
  if (!script || !existsSync(fileURLToPath(script))) {
    return new InlineWriter(db, 'the compiled write worker (write-worker.js) is absent');
  }
  return new WorkerWriter(path, script);
}
