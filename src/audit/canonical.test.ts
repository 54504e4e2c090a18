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

describe('canonical form', () => {
  test('canonicalBody matches policy canonicalJson on arbitrary values', () => {
    fc.assert(
      fc.property(valueArb.value, (v) => {
        expect(canonicalBody(v)).toBe(canonicalJson(v) ?? 'null');
      }),
      { numRuns: 2000 },
    );
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
