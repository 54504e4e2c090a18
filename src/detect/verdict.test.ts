import { describe, expect, test } from 'vitest';
import type { Finding } from '../events/index.js';
import { summarize, verdictOf } from './verdict.js';

const finding = (over: Partial<Finding>): Finding => ({
  id: 'f',
  rule: 'net.stratum-flow',
  category: 'mining',
  severity: 'critical',
  attack: ['T1496'],
  reason: 'r',
  action: 'kill',
  actionTaken: true,
  ts: 1,
  sandboxId: 's',
  evidence: { detail: 'stratum to pool.rogue.test:3333 denied, 0 bytes sent' },
  eventIds: ['e'],
  ...over,
});

describe('verdictOf', () => {
  test.each([
    [[], 'clean'],
    [[finding({ severity: 'info' }), finding({ severity: 'low' })], 'clean'],
    [[finding({ severity: 'low' }), finding({ severity: 'medium' })], 'suspicious'],
    [[finding({ severity: 'medium' }), finding({ severity: 'high' })], 'rogue'],
    [[finding({ severity: 'critical' })], 'rogue'],
  ] as const)('%j -> %s', (findings, verdict) => {
    expect(verdictOf(findings)).toBe(verdict);
  });
});

describe('summarize', () => {
  test('one line a finding, worst first, with who and what was done', () => {
    const lines = summarize([
      finding({
        severity: 'low',
        category: 'policy',
        action: 'alert',
        evidence: { detail: 'tls to x.test:443 denied' },
        ts: 1,
      }),
      finding({ pid: 41, exe: '/tmp/xmrig', ts: 2 }),
      finding({
        severity: 'high',
        category: 'tunnel',
        action: 'terminate',
        actionTaken: false,
        evidence: {},
        reason: 'SSH out',
        ts: 3,
      }),
    ]);
    expect(lines).toEqual([
      'critical mining: stratum to pool.rogue.test:3333 denied, 0 bytes sent, xmrig (pid 41) killed',
      'high tunnel: SSH out, terminate failed',
      'low policy: tls to x.test:443 denied',
    ]);
  });
});
