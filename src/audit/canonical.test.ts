import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalJson } from '../policy/index.js';
import { canonicalBody, canonicalRecord, GENESIS_HASH, recordHash } from './canonical.js';
import { sampleEvent } from '../../test/audit/fixtures/events.js';

const keyArb = fc.oneof(
  fc.string(),
  fc.constantFrom('0', '1', '10', '2', '007', '4294967295', '-1', '__x'),
);
const valueArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 5 }),
  ),
}));

// Strings that stress escaping: quotes, backslashes, controls, lone surrogates, non-BMP.
const textArb = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    '"',
    '\\',
    '\u0000',
    '\u001f',
    '\u2028',
    '\ud800',
    '\udc00x',
    '😀',
    '</script>',
  ),
);
const numberArb = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 1e21, 5e-324, Number.MAX_SAFE_INTEGER),
);
const dictArb = fc.dictionary(
  keyArb,
  fc.oneof(textArb, numberArb, fc.boolean(), fc.constant(undefined)),
  {
    maxKeys: 6,
  },
);

/** A sample event of any kind with its fields replaced by hostile values, keys in random order. */
const eventArb = fc
  .record({
    i: fc.nat({ max: 1000 }),
    text: textArb,
    num: numberArb,
    dict: dictArb,
    argv: fc.array(textArb, { maxLength: 4 }),
    drop: fc.constantFrom('episodeId', 'stepId', 'pid', 'nothing'),
    shuffle: fc.boolean(),
  })
  .map(({ i, text, num, dict, argv, drop, shuffle }) => {
    const event = sampleEvent(i) as unknown as Record<string, unknown>;
    const out: Record<string, unknown> = { ...event, sandboxId: text, ts: num };
    if ('argv' in out) out.argv = argv;
    if ('details' in out) out.details = dict;
    if ('finding' in out)
      out.finding = { ...(out.finding as object), evidence: dict, reason: text };
    if ('detail' in out || i % 7 === 0) out.detail = { labels: dict };
    out[drop] = undefined;
    if (!shuffle) return out;
    return Object.fromEntries(Object.entries(out).reverse());
  });

describe('canonical form', () => {
  test('canonicalBody gives the same bytes as policy canonicalJson on hostile events', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        expect(canonicalBody(event)).toBe(canonicalJson(event));
      }),
      { numRuns: 3000 },
    );
  });

  test('stays exact past the shape cache bound (many distinct key sets)', () => {
    for (let i = 0; i < 20_000; i++) {
      const v = { [`k${i}`]: i, a: { [`${i % 97}`]: [i], z: null }, [`${i}`]: 'x' };
      expect(canonicalBody(v)).toBe(canonicalJson(v));
    }
  });

  test('canonicalBody matches policy canonicalJson on arbitrary values', () => {
    fc.assert(
      fc.property(valueArb.value, (v) => {
        expect(canonicalBody(v)).toBe(canonicalJson(v) ?? 'null');
      }),
      { numRuns: 2000 },
    );
  });

  test('keeps the values it must not reorder or lose: an own __proto__ key, toJSON, shared objects', () => {
    const labels = JSON.parse('{"z":1,"__proto__":{"b":2,"a":1}}') as Record<string, unknown>;
    const shared = { y: 1, x: [new Date(0), { d: 1, c: undefined }] };
    const values = [
      { detail: { labels }, argv: [] },
      { b: shared, a: shared, when: new Date(1_700_000_000_000) },
      [{ b: 1, a: 2 }, 'x', { 1: 'one', 0: 'zero', a: null }],
    ];
    for (const v of values) expect(canonicalBody(v)).toBe(canonicalJson(v));
    expect(canonicalBody(values[0])).toBe(
      '{"argv":[],"detail":{"labels":{"__proto__":{"a":1,"b":2},"z":1}}}',
    );
    // The value given is never changed in place.
    expect(Object.keys(labels)).toEqual(['z', '__proto__']);
  });

  test('canonicalBody matches canonicalJson on every sample event kind', () => {
    for (let i = 0; i < 12; i++)
      expect(canonicalBody(sampleEvent(i))).toBe(canonicalJson(sampleEvent(i)));
  });

  test('canonicalRecord is canonicalJson of the record without its hash', () => {
    const event = sampleEvent(3);
    const fields = {
      seq: 7,
      ts: event.ts,
      kind: event.kind,
      sandboxId: event.sandboxId,
      episodeId: null,
      stepId: 'step-3',
      severity: 'high',
      body: canonicalBody(event),
      prevHash: GENESIS_HASH,
    };
    const asObject = {
      seq: 7,
      ts: event.ts,
      kind: event.kind,
      sandbox_id: event.sandboxId,
      episode_id: null,
      step_id: 'step-3',
      severity: 'high',
      body: event,
      prev_hash: GENESIS_HASH,
    };
    expect(canonicalRecord(fields)).toBe(canonicalJson(asObject));
    expect(recordHash(fields)).toMatch(/^[0-9a-f]{64}$/);
    expect(recordHash({ ...fields, seq: 8 })).not.toBe(recordHash(fields));
  });
});
