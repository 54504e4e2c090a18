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
  return ({ method, url, headers, body, signal }) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : request;
      const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
      const payload = body === undefined ? undefined : Buffer.from(body);
      const req = send(
        target,
        {
          method,
          agent,
          headers: { ...headers, 'content-length': String(payload?.length ?? 0) },
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('error', reject);
          res.once('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.once('error', reject);
      req.end(payload);
    });
}
