/**
 * One error body for every failure the API answers: `{statusCode, code, error, message}` (plus
 * `problems` for validation errors), built from the codes in src/errors.ts.
 */
import { STATUS_CODES } from 'node:http';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CordonError, ValidationError, type ErrorCode, type Problem } from '../errors.js';

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
  problems?: Problem[];
}

export function errorBody(error: CordonError): ErrorBody {
  const body: ErrorBody = {
    statusCode: error.statusCode,
    code: error.code,
    error: STATUS_CODES[error.statusCode] ?? 'Error',
    message: error.message,
  };
  if (error instanceof ValidationError) body.problems = error.problems;
  return body;
}

export function sendError(c: Context, error: CordonError): Response {
  return c.json(errorBody(error), error.statusCode as ContentfulStatusCode);
}

/** Maps anything thrown by a handler to a CordonError; unknown errors become CORDON_E_INTERNAL. */
export function toCordonError(error: unknown): CordonError {
  if (error instanceof CordonError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new CordonError('CORDON_E_BODY_TOO_LARGE');
    if (error.status === 401) return new CordonError('CORDON_E_UNAUTHORIZED');
    if (error.status === 404) return new CordonError('CORDON_E_NOT_FOUND');
    if (error.status < 500) return new CordonError('CORDON_E_BODY_INVALID', error.message);
  }
  return new CordonError('CORDON_E_INTERNAL', undefined, { cause: error });
}

export function notFound(what: string): CordonError {
  return new CordonError('CORDON_E_NOT_FOUND', `No such ${what}`);
}
