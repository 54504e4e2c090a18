/**
 * The API's bearer token: generated at first start, kept in `<dataDir>/token` readable only by its
 * owner, and compared in constant time on every request but /v1/health.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MiddlewareHandler } from 'hono';
import { CordonError } from '../errors.js';
import { sendError } from './http-errors.js';

/** Reads `<dataDir>/token`, creating it (0600, 256 random bits) on first start. */
export function loadOrCreateToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'token');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    // A token left group- or world-readable by hand is tightened rather than trusted as is.
    chmodSync(file, 0o600);
    if (existing.length >= 16) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CordonError('CORDON_E_INTERNAL', `Cannot read ${file}`, { cause: error });
    }
  }
  const token = randomBytes(32).toString('base64url');
  // 'wx' fails if another process won the race; then its token is the one to use.
  try {
    writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return readFileSync(file, 'utf8').trim();
    throw error;
  }
  return token;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison: both sides hashed to equal length first, so length leaks nothing. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Bearer auth; `/v1/events` also takes `?token=` because browsers' EventSource sets no headers. */
export function bearerAuth(token: string, openPaths: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    if (openPaths.has(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const given = m?.[1] ?? (c.req.path === '/v1/events' ? c.req.query('token') : undefined);
    if (given === undefined || !tokenMatches(given, token)) {
      c.header('WWW-Authenticate', 'Bearer realm="cordon"');
      return sendError(c, new CordonError('CORDON_E_UNAUTHORIZED'));
    }
    return next();
  };
}
