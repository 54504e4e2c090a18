import { describe, expect, test } from 'vitest';
import { ValidationError } from '../errors.js';
import {
  ALWAYS_DENY_READ,
  parseNetworkRule,
  parsePolicyText,
  policyDigest,
  presetPolicy,
  resolvePolicy,
} from './index.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError)
      return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('policy', () => {
  test('an empty policy resolves to the strict preset, frozen', () => {
    const p = resolvePolicy({});
    expect(p.preset).toBe('strict');
    expect(p.network.allow).toEqual([]);
    expect(p.devices.gpu).toBe(false);
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.filesystem.denyRead)).toBe(true);
  });

  test('a user cannot shrink the secret list: denyRead entries are added to the preset', () => {
    const p = resolvePolicy({ filesystem: { denyRead: ['/opt/secret'] } });
    for (const path of ALWAYS_DENY_READ) expect(p.filesystem.denyRead).toContain(path);
    expect(p.filesystem.denyRead).toContain('/opt/secret');
  });

  test('scalars override the preset, keys keep their documented names', () => {
    const p = parsePolicyText(`
preset: rollout
resources: { memoryMB: 256, timeoutMs: 5000 }
network: { allow: ["registry.test:80"], hosts: { registry.test: 127.0.0.1 } }
env: { allow: [FOO], set: { BAR: "1" } }
`);
    expect(p.preset).toBe('rollout');
    expect(p.resources.memoryMB).toBe(256);
    expect(p.resources.pids).toBe(128);
    expect(p.network.hosts).toEqual({ 'registry.test': '127.0.0.1' });
    expect(p.env.allow).toContain('FOO');
    expect(p.env.allow).toContain('PATH');
  });

  test('rejects unknown keys, wrong types and over-broad patterns, naming every problem by path', () => {
    const problems = problemsOf(() =>
      resolvePolicy({
        filesystem: { allowWrite: ['/'], denyRead: ['relative/path'] },
        network: { allow: ['*:443', '*.com:443', 'registry.test'] },
        resources: { memoryMB: 'lots' },
        devics: { gpu: true },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^filesystem\.allowWrite\.0: .*over-broad/),
        expect.stringMatching(/^filesystem\.denyRead\.0: .*absolute/),
        expect.stringMatching(/^network\.allow\.0: .*over-broad/),
        expect.stringMatching(/^network\.allow\.1: .*top-level/),
        expect.stringMatching(/^network\.allow\.2: .*port is required/),
        expect.stringMatching(/^resources\.memoryMB: /),
        expect.stringMatching(/devics/),
      ]),
    );
  });

  test('rejects malformed YAML and non-mapping documents with a clear problem', () => {
    expect(problemsOf(() => parsePolicyText('network: [unclosed', 'p.yaml'))[0]).toMatch(
      /^p\.yaml: not valid/,
    );
    expect(problemsOf(() => parsePolicyText('- a\n- b'))[0]).toMatch(
      /^\(root\): must be a mapping/,
    );
  });

  test('parses network rules with ports, ranges and protocols', () => {
    expect(parseNetworkRule('registry.test:443/tls')).toMatchObject({
      host: 'registry.test',
      portLow: 443,
      portHigh: 443,
      protocol: 'tls',
    });
    expect(parseNetworkRule('*.mirror.test:8000-8100')).toMatchObject({
      portLow: 8000,
      portHigh: 8100,
      protocol: 'any',
    });
    expect(parseNetworkRule('[::1]:80')).toMatchObject({ host: '::1' });
    expect(parseNetworkRule('a.test:0')).toMatch(/port/);
    expect(parseNetworkRule('a.test:80/gopher')).toMatch(/unknown protocol/);
    expect(parseNetworkRule('a.*.test:80')).toMatch(/first label/);
  });

  test('the same input resolves to the same frozen policy; what JSON cannot tell apart is still checked', () => {
    const input = { resources: { timeoutMs: 1234 } };
    const first = resolvePolicy(input);
    expect(resolvePolicy({ resources: { timeoutMs: 1234 } })).toBe(first);
    expect(resolvePolicy({ resources: { timeoutMs: 1235 } }).resources.timeoutMs).toBe(1235);
    // These print the JSON of valid inputs, and must fail as they did before any cache.
    expect(() => resolvePolicy({ resources: { timeoutMs: 1234 }, network: () => 1 })).toThrow();
    expect(() => resolvePolicy({ resources: { timeoutMs: NaN } })).toThrow();
    const hidden = { resources: { timeoutMs: 1234 } };
    Object.defineProperty(hidden, 'network', { value: 'not an object', enumerable: false });
    expect(() => resolvePolicy(hidden)).toThrow();
  });

  test('digest is stable for equal policies and differs otherwise', () => {
    expect(policyDigest(resolvePolicy({}))).toBe(policyDigest(presetPolicy('strict')));
    expect(policyDigest(resolvePolicy({ resources: { pids: 99 } }))).not.toBe(
      policyDigest(presetPolicy()),
    );
  });
});
