/**
 * `classify()`: runs every protocol probe over a flow's first bytes and decides, or asks for more.
 * Pure and bounded: it never throws, never looks past MAX_CLASSIFY_BYTES and copies at most that.
 */
import { probeHttp } from './http.js';
import { probeSocks5 } from './socks5.js';
import { probeSsh } from './ssh.js';
import { looksLikeStratum2, probeStratum, stratum2 } from './stratum.js';
import { probeTls } from './tls.js';
import { MAX_CLASSIFY_BYTES } from './types.js';
import type { Classification, ClassifyOptions, ProbeResult } from './types.js';

type Probe = (buf: Buffer, final: boolean) => ProbeResult;

// Order matters only for ties: each probe keys on a different first byte, except HTTP and SSH
// (both start with a capital) which part ways at the fourth byte.
const PROBES: readonly Probe[] = [probeTls, probeSsh, probeHttp, probeSocks5, probeStratum];

/**
 * Classifies a flow by its first bytes.
 *
 * When the result is not `complete` and more bytes may come, read more (up to
 * MAX_CLASSIFY_BYTES) and call again with everything read so far; once the deadline passes or
 * the client closes, call with `{ final: true }`, which always returns a complete result.
 * Reaching MAX_CLASSIFY_BYTES counts as final.
 *
 * @example
 * const c = classify(Buffer.from('SSH-2.0-OpenSSH_9.2p1\r\n'));
 * // { protocol: 'ssh', complete: true, sshVersion: 'SSH-2.0-OpenSSH_9.2p1', ... }
 */
export function classify(first: Buffer, opts: ClassifyOptions = {}): Classification {
  try {
    return decide(first, opts);
  } catch (error) {
    // Defence in depth: a probe bug must degrade to "unknown", never crash the proxy.
    return { protocol: 'unknown', complete: true, details: { classifierError: String(error) } };
  }
}

function decide(first: Buffer, opts: ClassifyOptions): Classification {
  const buf = first.length > MAX_CLASSIFY_BYTES ? first.subarray(0, MAX_CLASSIFY_BYTES) : first;
  const final = opts.final === true || buf.length >= MAX_CLASSIFY_BYTES;
  let wantsMore = false;
  for (const probe of PROBES) {
    const r = probe(buf, final);
    if (r.kind === 'match') return r.result;
    if (r.kind === 'more') wantsMore = true;
  }
  if (!final && (wantsMore || buf.length === 64)) {
    // 64 bytes may be a stratum v2 opener: wait for the deadline to see whether more follows.
    return { protocol: 'unknown', complete: false, details: {} };
  }
  if (looksLikeStratum2(buf)) return stratum2();
  return { protocol: 'unknown', complete: true, details: { bytes: buf.length } };
}
