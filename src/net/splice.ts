/**
 * Connects an allowed flow upstream and splices both directions: in the kernel (relay.ts) where
 * the native relay is available, else with socket.pipe (no per-chunk copies or listeners),
 * counting bytes from the sockets' own counters.
 */
import { connect, type Socket } from 'node:net';
import { relayInKernel } from './relay.js';

export interface SpliceStats {
  bytesOut: number;
  bytesIn: number;
  durationMs: number;
  error?: string;
}

export interface SpliceOptions {
  /** Bytes already written to the client by cordon itself (a CONNECT's 200): not counted. */
  clientBytesBefore?: number;
  /** Relay in the kernel when the native relay is available (default true). */
  kernel?: boolean;
}

/** A spliced flow, to end early (the proxy closing): both connections are reset. */
export interface SpliceHandle {
  readonly inKernel: boolean;
  destroy(): void;
}

export function connectUpstream(
  address: string,
  port: number,
  timeoutMs = 10_000,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const upstream = connect({ host: address, port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(
      () => upstream.destroy(new Error(`connect timeout after ${timeoutMs} ms`)),
      timeoutMs,
    );
    upstream.once('connect', () => {
      clearTimeout(timer);
      upstream.off('error', reject);
      resolve(upstream);
    });
    upstream.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Writes `first` upstream, then relays both ways; `onClose` gets the byte counts once both are
 * gone.
 * @example splice(client, upstream, first, performance.now(), (s) => publish(s));
 */
export function splice(
  client: Socket,
  upstream: Socket,
  first: Buffer,
  startedAt: number,
  onClose: (stats: SpliceStats) => void,
  options: SpliceOptions = {},
): SpliceHandle {
  if (options.kernel !== false) {
    const relay = relayInKernel(client, upstream, first, (r) =>
      onClose({ ...r, durationMs: Math.round(performance.now() - startedAt) }),
    );
    if (relay) return { inKernel: true, destroy: () => relay.abort() };
  }
  pipeSplice(client, upstream, first, startedAt, onClose, options.clientBytesBefore ?? 0);
  return {
    inKernel: false,
    destroy: () => {
      client.destroy();
      upstream.destroy();
    },
  };
}

/** The Node fallback: socket.pipe both ways. */
export function pipeSplice(
  client: Socket,
  upstream: Socket,
  first: Buffer,
  startedAt: number,
  onClose: (stats: SpliceStats) => void,
  clientBytesBefore = 0,
): void {
  let closed = 0;
  let error: string | undefined;
  const onError = (e: Error) => {
    error ??= e.message;
    client.destroy();
    upstream.destroy();
  };
  const onSocketClose = () => {
    closed += 1;
    if (closed === 1) {
      // One side is fully gone: nothing more can flow, release the other.
      client.destroy();
      upstream.destroy();
      return;
    }
    onClose({
      bytesOut: upstream.bytesWritten,
      bytesIn: Math.max(0, client.bytesWritten - clientBytesBefore),
      durationMs: Math.round(performance.now() - startedAt),
      ...(error ? { error } : {}),
    });
  };
  client.on('error', onError);
  upstream.on('error', onError);
  client.once('close', onSocketClose);
  upstream.once('close', onSocketClose);
  if (first.length > 0) upstream.write(first);
  client.pipe(upstream);
  upstream.pipe(client);
  client.resume();
}
