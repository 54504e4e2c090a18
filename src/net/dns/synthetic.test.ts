import { describe, expect, test } from 'vitest';
import { CordonError } from '../../errors.js';
import { isSyntheticAddress, SyntheticAddresses } from './synthetic.js';

describe('SyntheticAddresses', () => {
  test('gives each name a stable address from 198.18.0.0/16, in order', () => {
    const s = new SyntheticAddresses('sb1');
    expect(s.addressFor('pool.rogue.test')).toBe('198.18.0.1');
    expect(s.addressFor('registry.test')).toBe('198.18.0.2');
    expect(s.addressFor('POOL.rogue.test.')).toBe('198.18.0.1');
    expect(s.lookupName('198.18.0.2')).toBe('registry.test');
    expect(s.lookupName('198.18.0.9')).toBeUndefined();
    expect(s.lookupAddress('nothing.test')).toBeUndefined();
  });

  test('sandboxes are independent and deterministic', () => {
    const a = new SyntheticAddresses('a');
    const b = new SyntheticAddresses('b');
    a.addressFor('x.test');
    expect(b.addressFor('y.test')).toBe('198.18.0.1');
    expect(b.lookupName('198.18.0.1')).toBe('y.test');
  });

  test('crosses octet boundaries and never reuses an address', () => {
    const s = new SyntheticAddresses('sb', 65534);
    const seen = new Set<string>();
    for (let i = 0; i < 65534; i++) seen.add(s.addressFor(`n${i}.test`));
    expect(seen.size).toBe(65534);
    expect(s.addressFor('n255.test')).toBe('198.18.1.0');
    expect(s.addressFor('n65533.test')).toBe('198.18.255.254');
    expect([...seen].every(isSyntheticAddress)).toBe(true);
  });

  test('a full table fails with a typed error naming the sandbox', () => {
    const s = new SyntheticAddresses('sb-full', 2);
    s.addressFor('a.test');
    s.addressFor('b.test');
    expect(s.addressFor('a.test')).toBe('198.18.0.1');
    expect(() => s.addressFor('c.test')).toThrow(CordonError);
    expect(() => s.addressFor('c.test')).toThrow(/sb-full .* more than 2 distinct names/);
  });
});
