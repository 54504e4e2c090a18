/**
 * The audit write worker: owns a second connection to `audit.db` and hashes and commits the
 * batches the store posts, in the order posted, so neither runs on the event bus's thread.
 * Protocol (all on the MessagePort in workerData): in `{ id, batch }` or `{ close: true }`; out
 * `{ id, count, head }` or `{ id, error }`. After each answer it stores `id` in `done[0]` and
 * notifies, so the store can wait for a batch synchronously (Atomics.wait) when it must.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { chainWriter, type Batch } from './chain-writer.js';
import { configureConnection, type ChainPoint } from './schema.js';

export interface WriteWorkerData {
  path: string;
  port: MessagePort;
  /** Int32Array over a SharedArrayBuffer: [0] is the id of the last batch answered. */
  done: Int32Array;
}

export type WorkerRequest = { id: number; batch: Batch } | { close: true };
export type WorkerAnswer =
  | { id: number; count: number; head: ChainPoint }
  /** `fatal`: the worker is gone (set by the store's side, never by the worker). */
  | { id: number; error: string; fatal?: true };

const { path, port, done } = workerData as WriteWorkerData;
let db: Database.Database | undefined;
let write: ((batch: Batch) => ChainPoint) | undefined;
let openError: string | undefined;
try {
  db = new Database(path, { fileMustExist: true });
  configureConnection(db);
  write = chainWriter(db);
} catch (error) {
  openError = `the write worker could not open ${path}: ${String(error)}`;
}

function answer(message: WorkerAnswer): void {
  port.postMessage(message);
  Atomics.store(done, 0, message.id);
  Atomics.notify(done, 0);
}

port.on('message', (message: WorkerRequest) => {
  if ('close' in message) {
    db?.close();
    port.close();
    return;
  }
  if (!write) return answer({ id: message.id, error: openError ?? 'no connection' });
  try {
    answer({ id: message.id, count: message.batch.body.length, head: write(message.batch) });
  } catch (error) {
    answer({ id: message.id, error: String(error) });
  }
});
parentPort?.unref();
