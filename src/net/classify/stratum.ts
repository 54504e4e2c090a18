/**
 * Stratum probes. v1: JSON-RPC lines whose method is `mining.*`, `eth_submitLogin`/`eth_getWork`
 * (ethproxy) or xmrig's `login` with login/pass/agent params, on any port. v2: the 64-byte
 * Noise opener, recognised only by its shape (see `looksLikeStratum2`).
 */
import {
  MAX_CLASSIFY_BYTES,
  MORE,
  NO,
  match,
  type Classification,
  type ProbeResult,
} from './types.js';

const ETH_METHODS = new Set([
  'eth_submitLogin',
  'eth_getWork',
  'eth_submitWork',
  'eth_submitHashrate',
]);
const MAX_LINES = 16;
// Fallback for a line that never ended (deadline, EOF or budget): a method name is enough.
const METHOD_RE = /"method"\s*:\s*"([A-Za-z0-9_.]{1,64})"/;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/** The stratum method this JSON-RPC message uses, or undefined when it is not a mining call. */
function miningMethod(method: unknown, params: unknown): string | undefined {
  if (typeof method !== 'string') return undefined;
  if (method.startsWith('mining.') || ETH_METHODS.has(method)) return method;
  if (params !== null && typeof params === 'object' && !Array.isArray(params)) {
    const p = params as Record<string, unknown>;
    // xmrig / monero pools: login carries the wallet plus a password or agent string.
    if (method === 'login' && 'login' in p && ('pass' in p || 'agent' in p)) return method;
    if (method === 'submit' && 'job_id' in p && 'nonce' in p) return method;
  }
  return undefined;
}

function evidence(method: string, params: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const str = (v: unknown): string | undefined =>
    typeof v === 'string' ? v.slice(0, 200) : undefined;
  if (Array.isArray(params)) {
    if (method === 'mining.subscribe') out.agent = str(params[0]);
    if (method === 'mining.authorize' || method === 'eth_submitLogin') out.worker = str(params[0]);
  } else if (params !== null && typeof params === 'object') {
    const p = params as Record<string, unknown>;
    out.agent = str(p.agent);
    out.worker = str(p.login);
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

function found(method: string, params: unknown, lines: number, partial: boolean): ProbeResult {
  const details: Record<string, unknown> = { lines, ...evidence(method, params) };
  if (partial) details.partialLine = true;
  const result: Classification = {
    protocol: 'stratum',
    complete: true,
    stratumMethod: method,
    details,
  };
  return match(result);
}

export function probeStratum(buf: Buffer, final: boolean): ProbeResult {
  let start = 0;
  while (start < buf.length && isWhitespace(buf[start] ?? 0)) start++;
  if (start === buf.length) return final ? NO : MORE;
  if (buf[start] !== 0x7b) return NO; // '{'
  const text = buf.toString('latin1', start);
  let pos = 0;
  let lines = 0;
  while (lines < MAX_LINES) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) break;
    const line = text.slice(pos, nl).trim();
    pos = nl + 1;
    if (line === '') continue;
    lines++;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return NO; // a full line that is not JSON: not a JSON-lines protocol
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return NO;
    const { method, params } = msg as { method?: unknown; params?: unknown };
    const m = miningMethod(method, params);
    if (m) return found(m, params, lines, false);
  }
  const rest = text.slice(pos).trim();
  const exhausted = final || buf.length >= MAX_CLASSIFY_BYTES || lines >= MAX_LINES;
  if (!exhausted) return rest === '' || rest.startsWith('{') ? MORE : NO;
  // No newline will come: judge the unterminated tail.
  if (rest.startsWith('{')) {
    try {
      const msg = JSON.parse(rest) as { method?: unknown; params?: unknown } | null;
      const m = msg && typeof msg === 'object' ? miningMethod(msg.method, msg.params) : undefined;
      if (m) return found(m, msg?.params, lines + 1, true);
    } catch {
      const name = METHOD_RE.exec(rest)?.[1];
      if (name && miningMethod(name, undefined)) return found(name, undefined, lines + 1, true);
    }
  }
  return NO;
}

/**
 * Stratum v2 heuristic: a v2 client opens with the initiator's Noise NX handshake message, an
 * ElligatorSwift-encoded ephemeral key of exactly 64 bytes, then waits for the pool. So: the
 * flow's whole first write (final: the client sent nothing else before the deadline) is 64 bytes,
 * no other probe recognised it, and it looks random (at least 40 distinct byte values: 64 random
 * bytes hold about 57; text or structured binary far fewer). Confidence is low: any 64-byte
 * random-looking opener of an unknown protocol matches too.
 */
export function looksLikeStratum2(buf: Buffer): boolean {
  if (buf.length !== 64) return false;
  return new Set(buf).size >= 40;
}

export function stratum2(): Classification {
  return {
    protocol: 'stratum2',
    complete: true,
    details: { confidence: 'low', heuristic: '64-byte random-looking first write' },
  };
}
