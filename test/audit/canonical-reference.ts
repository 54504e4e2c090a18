/**
 * The audit canonical serialiser as it was before the shape-trie rewrite (commit 95f6652), kept
 * verbatim as the reference the property tests compare the fast one against.
 */
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

// Events from one source share their keys in one order: cache the sorted, quoted key list per
// insertion-ordered key list. Sorting was most of the cost. Bounded: dictionaries with
// free-form keys (evidence, details) would otherwise grow it forever.
const shapes = new Map<string, Shape>();
const MAX_SHAPES = 4096;

function shapeOf(obj: object): Shape {
  const own = Object.keys(obj);
  const signature = JSON.stringify(own); // unambiguous, unlike a join: [""] vs [], "a,b" vs "a","b"
  let shape = shapes.get(signature);
  if (!shape) {
    const keys = own.sort(compareKeys);
    shape = { keys, quoted: keys.map((k) => JSON.stringify(k) + ':') };
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(signature, shape);
  }
  return shape;
}

function serialise(value: unknown, key: string): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      const withJson = value as { toJSON?: (k: string) => unknown };
      if (typeof withJson.toJSON === 'function') return serialise(withJson.toJSON(key), key);
      if (Array.isArray(value)) {
        const items = value.map((item: unknown, i) => serialise(item, String(i)) ?? 'null');
        return '[' + items.join(',') + ']';
      }
      const obj = value as Record<string, unknown>;
      const { keys, quoted } = shapeOf(obj);
      let out = '';
      for (let i = 0; i < keys.length; i++) {
        const s = serialise(obj[keys[i]!], keys[i]!);
        if (s === undefined) continue;
        out += (out ? ',' : '') + quoted[i]! + s;
      }
      return '{' + out + '}';
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
export function referenceCanonicalBody(value: unknown): string {
  return serialise(value, '') ?? 'null';
}
