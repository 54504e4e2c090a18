/**
 * How the client sends one buffered request. The default goes through node:http with a keep-alive
 * agent: Node 20's fetch (undici) costs about 1.5 ms per loopback request, which was most of an
 * API exec's round trip. A caller-supplied fetch (tests, other runtimes) is used as given.
 */
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface TransportRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
  signal?: AbortSignal | undefined;
}

export interface TransportResponse {
  status: number;
  body: Buffer;
}

export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

/** A transport over a fetch implementation. */
export function fetchTransport(fetchImpl: typeof fetch): Transport {
  return async ({ method, url, headers, body, signal }) => {
    const res = await fetchImpl(url, {
      method,
      headers,
      body: body ?? null,
      signal: signal ?? null,
    });
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  };
}

/**
 * A transport over node:http(s) that keeps connections open between calls. Its agent's sockets are
 * unref'd while idle, so a client never keeps a process alive by itself.
 */
export function nodeTransport(): Transport {
  const agents = {
    'http:': new Agent({ keepAlive: true }),
    'https:': new HttpsAgent({ keepAlive: true }),
  };
  const send = (req: TransportRequest, retried: boolean): Promise<TransportResponse> =>
    new Promise((resolve, reject) => {
      const target = new URL(req.url);
      const https = target.protocol === 'https:';
      const payload = req.body === undefined ? undefined : Buffer.from(req.body);
      const outgoing = (https ? httpsRequest : request)(
        target,
        {
          method: req.method,
          agent: https ? agents['https:'] : agents['http:'],
          headers: { ...req.headers, 'content-length': String(payload?.length ?? 0) },
          ...(req.signal ? { signal: req.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.once('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }),
          );
        },
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        // The server closed a kept-alive connection as this request went out on it: the request
        // was never read, so it is sent once more on a new connection (what Node's docs advise).
        if (outgoing.reusedSocket && error.code === 'ECONNRESET' && !retried) {
          resolve(send(req, true));
        } else reject(error);
      });
      outgoing.end(payload);
    });
  return (req) => send(req, false);
}
