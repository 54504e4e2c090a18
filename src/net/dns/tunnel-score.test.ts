import { describe, expect, test } from 'vitest';
import {
  registeredZone,
  scoreQuery,
  TUNNEL_SCORE_SUSPICIOUS,
  ZoneHistory,
} from './tunnel-score.js';
import { QTYPE } from './wire.js';

const BENIGN: [string, number][] = [
  ['registry.test', QTYPE.A],
  ['www.example.test', QTYPE.A],
  ['www.example.test', QTYPE.AAAA],
  ['pypi.org', QTYPE.A],
  ['files.pythonhosted.org', QTYPE.A],
  ['registry.npmjs.org', QTYPE.AAAA],
  ['objects.githubusercontent.com', QTYPE.A],
  ['d2l4bjmdvb5nqr.cloudfront.net', QTYPE.A],
  ['s3.us-east-1.amazonaws.com', QTYPE.A],
  ['ec2-54-123-45-67.compute-1.amazonaws.com', QTYPE.A],
  ['www.bbc.co.uk', QTYPE.A],
];

const EXFIL: [string, number][] = [
  // base32 chunks (dnscat/iodine style), hex chunks, multi-label payloads, TXT pulls.
  ['mzxw6ytboi2gk3tfmvzxg5dfon2gk3tbmnzw4idqmfzhg2lomvzc4.x.rogue.test', QTYPE.A],
  ['gezdgnbvgy3tqojqgezdgnbvgy3tqojqgezdgnbv.onxw2zjanfzsa43fmnzgk5a.t.rogue.test', QTYPE.A],
  ['43dfaf324814bc2c74bce52be7eaf3883d5d8d2d2e72cc72670186a81cd0.x.rogue.test', QTYPE.A],
  ['464b055e4f28f92c38b1e6e2f3cff499.x.rogue.test', QTYPE.A],
  ['e752713116e2fcd80539592b77d260d1.x.rogue.test', QTYPE.TXT],
  ['0.fyjrnqcxiouszh6hfilwmzq3wfwavshjj2frj53iavn3fyfr.exfil.rogue.test', QTYPE.AAAA],
  ['c2.rogue.test', QTYPE.NULL],
];

describe('scoreQuery', () => {
  test.each(BENIGN)('benign: %s (type %i) scores low', (name, qtype) => {
    expect(scoreQuery(name, qtype, new ZoneHistory())).toBeLessThan(0.4);
  });

  test.each(EXFIL)('exfiltration: %s (type %i) scores high', (name, qtype) => {
    expect(scoreQuery(name, qtype, new ZoneHistory())).toBeGreaterThanOrEqual(
      TUNNEL_SCORE_SUSPICIOUS,
    );
  });

  test('TXT alone is noticed but not damning', () => {
    const s = scoreQuery('_acme-challenge.example.test', QTYPE.TXT, new ZoneHistory());
    expect(s).toBeGreaterThan(0.2);
    expect(s).toBeLessThan(TUNNEL_SCORE_SUSPICIOUS);
  });

  test('many unique short subdomains under one zone raise the score over the window', () => {
    const h = new ZoneHistory(60_000);
    const first = scoreQuery('0a.chunk.rogue.test', QTYPE.A, h, 1000);
    let last = 0;
    for (let i = 1; i < 300; i++)
      last = scoreQuery(`${i.toString(16)}a.chunk.rogue.test`, QTYPE.A, h, 1000 + i);
    expect(first).toBe(0);
    expect(last).toBeGreaterThanOrEqual(TUNNEL_SCORE_SUSPICIOUS);
    expect(h.uniqueCount('rogue.test')).toBe(300);
    // Repeating one name is not fan-out; and the window forgets old names.
    expect(scoreQuery('zz.chunk.rogue.test', QTYPE.A, h, 1000 + 120_000)).toBe(0);
    expect(h.uniqueCount('rogue.test')).toBe(1);
  });

  test('zone history stays bounded', () => {
    const h = new ZoneHistory(60_000, 4, 10);
    for (let i = 0; i < 100; i++) h.observe(`z${i}.test`, `n.z${i}.test`, 0);
    for (let i = 0; i < 100; i++) h.observe('big.test', `n${i}.big.test`, 0);
    expect(h.uniqueCount('z0.test')).toBe(0);
    expect(h.uniqueCount('big.test')).toBe(10);
  });

  test('registered zones', () => {
    expect(registeredZone('a.b.rogue.test')).toBe('rogue.test');
    expect(registeredZone('www.bbc.co.uk')).toBe('bbc.co.uk');
    expect(registeredZone('test')).toBe('test');
  });
});
