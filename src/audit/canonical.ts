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
  /** Object.keys already lists `keys` in canonical order: the object can be kept as it is. */
  sorted: boolean;
}

/** A node of the shape trie: one edge per key, in enumeration order. */
interface ShapeNode {
  next: Map<string, ShapeNode>;
  shape: Shape | undefined;
}

// Events from one source share their keys in one order: cache the sorted key list per
// enumeration-ordered key list, found by walking a trie one key at a time (Map lookups on
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
    node.shape = { keys, sorted: keys.every((k, i) => k === own[i]) };
  }
  return node.shape;
}

/** Sets an own data property; an own "__proto__" key is data, and assigning it would set the prototype. */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true });
  } else out[key] = value;
}

/**
 * `value` with every object's keys in canonical order: the same value when they already are, else
 * a copy of just the objects (and the arrays above them) that must change. Copies are built as the
 * keys are walked, from the first one that differs. `toJSON` is applied here, as JSON.stringify
 * would, so its result is sorted too.
 */
function sortedTree(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const withJson = value as { toJSON?: (k: string) => unknown };
  if (typeof withJson.toJSON === 'function') return sortedTree(withJson.toJSON(key), key);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const sorted = sortedTree(item, String(i));
      if (sorted !== item && copy === undefined) copy = value.slice();
      if (copy !== undefined) copy[i] = sorted;
    }
    return copy ?? value;
  }
  const obj = value as Record<string, unknown>;
  const { keys, sorted } = shapeOf(Object.keys(obj));
  // Inserted in canonical order; engines enumerate index keys first anyway, as compareKeys does.
  let out: Record<string, unknown> | undefined = sorted ? undefined : {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const item = obj[k];
    const next = typeof item === 'object' && item !== null ? sortedTree(item, k) : item;
    if (out === undefined && next !== item) {
      out = {};
      for (let j = 0; j < i; j++) put(out, keys[j]!, obj[keys[j]!]);
    }
    if (out !== undefined) put(out, k, next);
  }
  return out ?? value;
}

// Printable ASCII without '"' or '\\': JSON.stringify would only add the quotes.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify(text)`, faster for plain strings. */
function quote(text: string): string {
  return PLAIN.test(text) ? '"' + text + '"' : JSON.stringify(text);
}

/** `JSON.stringify` of a string or null. */
function quoteOrNull(text: string | null): string {
  return text === null ? 'null' : quote(text);
}

/**
 * JSON with object keys sorted: identical output to src/policy's `canonicalJson`. The engine's
 * JSON.stringify does the writing (one flat string, no per-value concatenation) over the value
 * with its keys put in order.
 */
export function canonicalBody(value: unknown): string {
  return JSON.stringify(sortedTree(value, '')) ?? 'null';
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
