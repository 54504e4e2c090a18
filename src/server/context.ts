/** What every router shares: the deps, the resolved limits, the metrics, and request helpers. */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
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

/** Reads a JSON body; malformed JSON is a 400 with the shared error shape, never a 500. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
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

export function limitBody(maxSize: number): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: (c) =>
      sendError(
        c,
        new CordonError('CORDON_E_BODY_TOO_LARGE', `The body is larger than ${maxSize} bytes`),
      ),
  });
}
