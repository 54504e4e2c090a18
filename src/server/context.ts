/** What every router shares: the deps, the resolved limits, the metrics, and request helpers. */
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { CordonError } from '../errors.js';
import type { Finding } from '../events/index.js';
import type { Verdict } from '../report/index.js';
import { sendError } from './http-errors.js';
import type { Metrics } from './metrics.js';
import type { AppDeps, ServerLimits } from './types.js';

export interface ServerContext {
  deps: AppDeps;
  limits: ServerLimits;
  metrics: Metrics;
  verdictOf: (findings: Finding[]) => Verdict;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** The route's body limit in bytes, set by `limitBody`, enforced by `readBody`. */
    cordonBodyLimit: number;
  }
}

/** A route that reads a body without `limitBody` before it still gets a bound. */
const UNDECLARED_BODY_LIMIT = 1024 * 1024;

const tooLarge = (maxSize: number) =>
  new CordonError('CORDON_E_BODY_TOO_LARGE', `The body is larger than ${maxSize} bytes`);

/**
 * Rejects a body whose declared length is over `maxSize` before anything is read, and sets the
 * bound `readBody` holds a body of undeclared length (chunked) to.
 */
export function limitBody(maxSize: number): MiddlewareHandler {
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxSize) {
      return sendError(c, tooLarge(maxSize));
    }
    c.set('cordonBodyLimit', maxSize);
    return next();
  };
}

/**
 * The request body, read straight from Node's request when served by `cordon serve`: hono's
 * Request would carry it through web streams, which cost about a quarter of an exec's time in
 * the API (profile of 400 execs of `true`). Past the route's limit it throws BODY_TOO_LARGE (413).
 */
export async function readBody(c: Context): Promise<Buffer> {
  const maxSize = c.get('cordonBodyLimit') ?? UNDECLARED_BODY_LIMIT;
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // No Node request (app.request() in tests), or its body was already taken through hono's
  // Request: read it that way (a stream read from the start would wait for an end long passed).
  if (incoming === undefined || typeof incoming.on !== 'function' || incoming.readableDidRead) {
    const bytes = Buffer.from(await c.req.arrayBuffer());
    if (bytes.length > maxSize) throw tooLarge(maxSize);
    return bytes;
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxSize) {
        incoming.off('data', onData);
        incoming.pause();
        reject(tooLarge(maxSize));
        return;
      }
      chunks.push(chunk);
    };
    incoming.on('data', onData);
    incoming.once('end', () => resolve(Buffer.concat(chunks, size)));
    incoming.once('error', reject);
    incoming.once('aborted', () =>
      reject(new CordonError('CORDON_E_BODY_INVALID', 'The request body was cut off')),
    );
  });
}

/** Reads a JSON body; malformed JSON is a 400 with the shared error shape, never a 500. */
export async function readJson(c: Context): Promise<unknown> {
  const text = (await readBody(c)).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CordonError(
      'CORDON_E_BODY_INVALID',
      `The body is not valid JSON: ${(error as Error).message}`,
    );
  }
}
