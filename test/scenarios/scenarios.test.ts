/**
 * Lints the detection scenarios: each has a valid expectation header and names only safe network
 * targets (`.test` names, 198.18.0.0/15, loopback), so a runner can never send a packet off the
 * machine because of a scenario.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { CATEGORIES, resolvePolicy } from '../../src/policy/index.js';

const here = dirname(fileURLToPath(import.meta.url));

function scenarios(kind: 'rogue' | 'benign'): [string, string][] {
  const dir = join(here, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sh'))
    .map((f) => [`${kind}/${f}`, readFileSync(join(dir, f), 'utf8')]);
}

const header = (text: string, key: string) =>
  new RegExp(`^# ${key}: (.+)$`, 'm').exec(text)?.[1]?.trim();
const all = [...scenarios('rogue'), ...scenarios('benign')];

/** Addresses and host names a script would connect to that are not loopback, 198.18/15 or `.test`. */
function unsafeTargets(text: string): string[] {
  const body = text.replace(/^#.*$/gm, '');
  const bad: string[] = [];
  for (const m of body.matchAll(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g)) {
    if (!/^(127\.|198\.1[89]\.)/.test(m[0])) bad.push(m[0]);
  }
  // Where a program would connect: URLs, user@host, /dev/tcp, ("host", port), socat/CONNECT
  // host:port, and dotted words on ssh/nc/dig/curl command lines.
  const contexts = [
    /:\/\/([^/:\s'"]+)/g,
    /@([a-z0-9.-]+\.[a-z]+)\b/gi,
    /\/dev\/(?:tcp|udp)\/([^/\s]+)\//g,
    /\(\s*f?["']([^"']+)["']\s*,\s*(?:\d|port)/g,
    /(?:TCP[46]?|OPENSSL|CONNECT)[: ]([a-z0-9.-]+):\d/gi,
    /\b(?:nc|ssh|dig|curl)\b[^\n|;&]*?\s([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?=\s|$)/gim,
  ];
  for (const re of contexts) {
    for (const m of body.matchAll(re)) {
      const host = m[1]!.toLowerCase();
      if (host.includes('$') || /^(localhost|127\.|198\.1[89]\.)/.test(host)) continue;
      if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) continue; // checked above
      if (!/\.(test|internal)$/.test(host)) bad.push(host);
    }
  }
  for (const m of body.matchAll(/\b[a-z0-9-]+\.(com|net|org|io|dev|ai|co|cn|ru|xyz|app|cloud)\b/gi))
    bad.push(m[0]);
  return [...new Set(bad)];
}

describe('detection scenarios', () => {
  test('cover every category with at least one rogue scenario, and have benign look-alikes', () => {
    const expected = new Set(scenarios('rogue').map(([, t]) => header(t, 'expect')));
    for (const c of CATEGORIES) expect(expected, c).toContain(c);
    expect(scenarios('benign').length).toBeGreaterThanOrEqual(8);
  });

  test.each(all)('%s has a valid header and is executable text', (name, text) => {
    expect(text.startsWith('#!/bin/sh\n'), 'shebang').toBe(true);
    const expectValue = header(text, 'expect');
    if (name.startsWith('benign/')) expect(expectValue).toBe('clean');
    else expect(CATEGORIES as readonly string[]).toContain(expectValue);
    expect(header(text, 'why')?.length ?? 0).toBeGreaterThan(10);
    const policy = header(text, 'policy');
    if (policy) expect(() => resolvePolicy(JSON.parse(policy))).not.toThrow();
    expect(statSync(join(here, name)).size).toBeLessThan(4_096);
  });

  test.each(all)('%s names only safe network targets', (_name, text) => {
    expect(unsafeTargets(text)).toEqual([]);
  });

  test('the target check itself catches unsafe targets', () => {
    expect(unsafeTargets('curl https://example.com/x')).toContain('example.com');
    expect(unsafeTargets('ssh -R 1:localhost:22 me@relay.example.org')).toContain(
      'relay.example.org',
    );
    expect(unsafeTargets('echo > /dev/tcp/10.0.0.1/80')).toContain('10.0.0.1');
    expect(unsafeTargets('nc relay.rogue.test 4444; curl http://127.0.0.1:8000/')).toEqual([]);
  });
});
