/**
 * The canonical form of an audit record and its chained hash. `canonicalBody` produces exactly what
 * `canonicalJson` from src/policy produces (a property test checks it), faster (cached key order),
 * because the store serialises every event once on the hot path.
 */
import * as crypto from 'node:crypto';

/** `prev_hash` of the very first record of a chain that was never pruned. */
export const GENESIS_HASH = '0'.repeat(64);

// Engines enumerate array-index keys first, in numeric order, whatever the insertion order; the
// policy's canonicalJson rebuilds objects, so it inherits that order. Match it exactly.
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;
function isIndexKey(k: string): boolean {
  return INDEX_KEY.test(k) && Number(k) < 4294967295;
}
function compareKeys(a: string, b: string): number {
  const ai = isIndexKey(a);
  const bi = isIndexKey(b);
  if (ai || bi) return ai && bi ? Number(a) - Number(b) : ai ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Shape {
  keys: string[];
  /** Each key as a JSON string followed by a colon. */
  quoted: string[];
}

/** A node of the shape trie: one edge per key, in insertion order. */
interface ShapeNode {
  next: Map<string, ShapeNode>;
  shape: Shape | undefined;
}

// Events from one source share their keys in one order: cache the sorted, quoted key list per
// insertion-ordered key list, found by walking a trie one key at a time (Map lookups on
// internalised strings) rather than by building a signature string per object. Bounded: objects
// with free-form keys (evidence, details) would otherwise grow it forever.
const MAX_SHAPE_NODES = 16_384;
let root: ShapeNode = { next: new Map(), shape: undefined };
let shapeNodes = 0;

function shapeOf(own: string[]): Shape {
  let node = root;
  for (let i = 0; i < own.length; i++) {
    const key = own[i]!;
    let child = node.next.get(key);
    if (child === undefined) {
      if (++shapeNodes > MAX_SHAPE_NODES) {
        root = { next: new Map(), shape: undefined };
        shapeNodes = 0;
        return shapeOf(own);
      }
      child = { next: new Map(), shape: undefined };
      node.next.set(key, child);
    }
    node = child;
  }
  if (node.shape === undefined) {
    const keys = own.slice().sort(compareKeys);
    node.shape = { keys, quoted: keys.map((k) => JSON.stringify(k) + ':') };
  }
  return node.shape;
}

// Printable ASCII without '"' or '\\': JSON.stringify would only add the quotes. Most event strings
// (ids, kinds, paths, hosts) are, and the test costs a third of entering the JSON serialiser.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify(text)`, faster for plain strings. */
function quote(text: string): string {
  return PLAIN.test(text) ? '"' + text + '"' : JSON.stringify(text);
}

/** `JSON.stringify` of a string or null. */
function quoteOrNull(text: string | null): string {
  return text === null ? 'null' : quote(text);
}

function serialise(value: unknown, key: string): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      // Number's own toString is what JSON.stringify prints for a finite number (-0 too: "0").
      return Number.isFinite(value) ? '' + value : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      const withJson = value as { toJSON?: (k: string) => unknown };
      if (typeof withJson.toJSON === 'function') return serialise(withJson.toJSON(key), key);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += serialise(value[i], String(i)) ?? 'null';
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const { keys, quoted } = shapeOf(Object.keys(obj));
      let out = '';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const s = serialise(obj[k], k);
        if (s === undefined) continue;
        out += (out === '' ? '{' : ',') + quoted[i]! + s;
      }
      return out === '' ? '{}' : out + '}';
    }
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined; // vanish, as in JSON.stringify
  }
}

/** JSON with object keys sorted: identical output to src/policy's `canonicalJson`. */
export function canonicalBody(value: unknown): string {
  return serialise(value, '') ?? 'null';
}

/** The columns a record's hash covers (everything but `hash`); `body` is canonical JSON text. */
export interface HashedFields {
  seq: number;
  ts: number;
  kind: string;
  sandboxId: string;
  episodeId: string | null;
  stepId: string | null;
  severity: string | null;
  body: string;
  prevHash: string;
}

/**
 * `canonicalJson` of the record without its hash, with `body` embedded as the JSON value it holds
 * (not as a string), built by concatenation because the body is already canonical. Keys are in
 * sorted order: body, episode_id, kind, prev_hash, sandbox_id, seq, severity, step_id, ts.
 */
export function canonicalRecord(r: HashedFields): string {
  return (
    '{"body":' +
    r.body +
    ',"episode_id":' +
    quoteOrNull(r.episodeId) +
    ',"kind":' +
    quote(r.kind) +
    ',"prev_hash":' +
    quote(r.prevHash) +
    ',"sandbox_id":' +
    quote(r.sandboxId) +
    ',"seq":' +
    String(r.seq) +
    ',"severity":' +
    quoteOrNull(r.severity) +
    ',"step_id":' +
    quoteOrNull(r.stepId) +
    ',"ts":' +
    JSON.stringify(r.ts) +
    '}'
  );
}

// One-shot crypto.hash (Node >= 20.12) costs about half of createHash().update().digest().
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** `sha256(prev_hash || canonicalRecord)`, hex. */
export function recordHash(r: HashedFields): string {
  return sha256Hex(r.prevHash + canonicalRecord(r));
}
