/**
 * How much a DNS query looks like a tunnel or exfiltration channel, 0..1. Signals, combined as a
 * noisy OR (each one alone can raise the score; together they compound):
 * - label length: data smuggled in names fills labels toward the 63-byte limit (>40 is rare);
 * - Shannon entropy, digit mix and hex-only labels of the subdomain part: encoded chunks;
 * - many unique subdomains under one registered zone within a sandbox (a sliding window);
 * - record types that carry payloads back: TXT, NULL, ANY.
 */
import { QTYPE } from './wire.js';

/** Scores at or above this are reported as likely tunnelling. */
export const TUNNEL_SCORE_SUSPICIOUS = 0.6;

/** Registered zone ≈ last two labels, three under common two-level suffixes (co.uk, com.au). */
export function registeredZone(name: string): string {
  const lower = name.endsWith('.') ? name.slice(0, -1).toLowerCase() : name.toLowerCase();
  const last = lower.lastIndexOf('.');
  if (last < 0) return lower;
  const second = lower.lastIndexOf('.', last - 1);
  if (second < 0) return lower;
  const sld = lower.slice(second + 1, last);
  if (lower.length - last - 1 === 2 && TWO_LEVEL_SLDS.has(sld)) {
    const third = lower.lastIndexOf('.', second - 1);
    if (third >= 0 || second > 0) return lower.slice(third + 1);
  }
  return lower.slice(second + 1);
}

const TWO_LEVEL_SLDS = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'or', 'ne']);

/**
 * Unique subdomains seen per registered zone over a sliding time window, for one sandbox.
 * Bounded: at most `maxZones` zones and `maxPerZone` names each are remembered. Expired names are
 * swept every PRUNE_EVERY observations of a zone or a quarter window (amortised O(1)), so a count
 * can briefly include names just past their window.
 */
export class ZoneHistory {
  private readonly zones = new Map<
    string,
    { names: Map<string, number>; sinceSweep: number; sweptAt: number }
  >();

  constructor(
    readonly windowMs = 60_000,
    private readonly maxZones = 1024,
    private readonly maxPerZone = 4096,
  ) {}

  /** Records `name` under `zone` at `nowMs` and returns the zone's unique count in the window. */
  observe(zone: string, name: string, nowMs = Date.now()): number {
    let z = this.zones.get(zone);
    if (!z) {
      if (this.zones.size >= this.maxZones) {
        const oldest = this.zones.keys().next().value;
        if (oldest !== undefined) this.zones.delete(oldest);
      }
      z = { names: new Map(), sinceSweep: 0, sweptAt: nowMs };
      this.zones.set(zone, z);
    }
    const { names } = z;
    names.set(name, nowMs);
    if (++z.sinceSweep >= PRUNE_EVERY || nowMs - z.sweptAt >= this.windowMs / 4) {
      z.sinceSweep = 0;
      z.sweptAt = nowMs;
      const horizon = nowMs - this.windowMs;
      for (const [n, ts] of names) if (ts < horizon) names.delete(n);
    }
    if (names.size > this.maxPerZone) {
      // Insertion order is first sight: drop the longest-known name.
      const first = names.keys().next().value;
      if (first !== undefined) names.delete(first);
    }
    return names.size;
  }

  uniqueCount(zone: string): number {
    return this.zones.get(zone)?.names.size ?? 0;
  }
}

const PRUNE_EVERY = 64;
const counts = new Uint16Array(256);

function entropyBits(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  for (let i = 0; i < n; i++) counts[s.charCodeAt(i) & 255]! += 1;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const k = s.charCodeAt(i) & 255;
    const c = counts[k]!;
    if (c === 0) continue;
    const p = c / n;
    h -= p * Math.log2(p);
    counts[k] = 0; // counted once, and the table is clean for the next call
  }
  return h;
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/** The per-signal scores, for tests and for evidence in findings. */
export function tunnelSignals(
  name: string,
  qtype: number,
  uniqueInZone: number,
): Record<
  'labelLength' | 'entropy' | 'digits' | 'hex' | 'nameLength' | 'fanout' | 'qtype',
  number
> {
  const zone = registeredZone(name);
  const sub = name.length > zone.length ? name.slice(0, name.length - zone.length - 1) : '';
  const labels = sub === '' ? [] : sub.split('.');
  const longest = labels.reduce((m, l) => Math.max(m, l.length), 0);
  const compact = labels.join('');
  let digits = 0;
  for (let i = 0; i < compact.length; i++) {
    const c = compact.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) digits++;
  }

  const labelLength =
    longest <= 40 ? clamp01((longest - 24) / 16) * 0.35 : 0.6 + ((longest - 40) / 23) * 0.3;
  // Entropy only means something over enough characters; short names are capped by log2(len).
  const entropy =
    clamp01((entropyBits(compact) - 3.3) / 1.0) * clamp01((compact.length - 12) / 20) * 0.6;
  const digitRatio = compact.length > 0 ? digits / compact.length : 0;
  const digitScore = compact.length >= 16 ? clamp01((digitRatio - 0.2) / 0.3) * 0.3 : 0;
  // Hex chunks: a label of 16+ hex digits mixing letters and digits (hashes, encoded payloads).
  const hex = labels.some((l) => /^[0-9a-f]{16,}$/.test(l) && /[a-f]/.test(l) && /\d/.test(l))
    ? 0.45
    : 0;
  const nameLength = clamp01((compact.length - 60) / 100) * 0.5;
  const fanout = uniqueInZone <= 20 ? 0 : 0.2 + clamp01((uniqueInZone - 20) / 180) * 0.5;
  const typeScore =
    // NULL records carry raw payloads: iodine's default, almost nothing else asks for them.
    qtype === QTYPE.NULL ? 0.6 : qtype === QTYPE.TXT ? 0.35 : qtype === QTYPE.ANY ? 0.3 : 0;
  return { labelLength, entropy, digits: digitScore, hex, nameLength, fanout, qtype: typeScore };
}

/**
 * Scores one query and records it in the sandbox's zone history.
 *
 * @example
 * const history = new ZoneHistory();
 * scoreQuery('registry.test', QTYPE.A, history); // 0
 * scoreQuery('mzxw6ytboi2gk3tfmvzxg5dfon2gk3tbmnzw4idqmfzhg2lomvzc4.x.rogue.test', QTYPE.TXT, history); // > 0.6
 */
export function scoreQuery(
  name: string,
  qtype: number,
  zoneHistory: ZoneHistory,
  nowMs = Date.now(),
): number {
  const lower = name.toLowerCase();
  const zone = registeredZone(lower);
  const unique = zoneHistory.observe(zone, lower, nowMs);
  const signals = tunnelSignals(lower, qtype, unique);
  let keep = 1;
  for (const s of Object.values(signals)) keep *= 1 - clamp01(s);
  return Math.round((1 - keep) * 1000) / 1000;
}
