/**
 * Connects an allowed flow upstream and splices both directions with socket.pipe (no per-chunk
 * copies or listeners), counting bytes from the sockets' own counters.
 */
import { connect, type Socket } from 'node:net';

export interface SpliceStats {
  bytesOut: number;
  bytesIn: number;
  durationMs: number;
  error?: string;
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
 * Writes `first` upstream, then pipes both ways; `onClose` gets the byte counts once both are gone.
 * @param clientBytesBefore bytes already written to the client by cordon itself (a CONNECT's 200)
 */
export function splice(
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
