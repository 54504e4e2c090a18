import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { classify, MAX_CLASSIFY_BYTES, type FlowProtocol } from './index.js';
import { captureClientHello, STATIC_SAMPLES, type Sample } from './samples.test-helper.js';

const PROTOCOLS: FlowProtocol[] = [
  'tls',
  'http',
  'http-connect',
  'socks5',
  'ssh',
  'stratum',
  'stratum2',
  'unknown',
];

const samples: Sample[] = [...STATIC_SAMPLES];
beforeAll(async () => {
  const bytes = await captureClientHello('registry.test', ['h2']);
  samples.push({ name: 'node:tls hello', bytes, protocol: 'tls' });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 256 }),
  fc.uint8Array({ minLength: MAX_CLASSIFY_BYTES - 8, maxLength: MAX_CLASSIFY_BYTES * 2 }),
);

describe('classify: properties', () => {
  test('random bytes never throw and always name a protocol; final always decides', () => {
    fc.assert(
      fc.property(anyBytes, fc.boolean(), (arr, final) => {
        const c = classify(Buffer.from(arr), { final });
        expect(PROTOCOLS).toContain(c.protocol);
        if (final || arr.length >= MAX_CLASSIFY_BYTES) expect(c.complete).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test('valid samples with random bytes spliced in or cut off never throw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.nat(),
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        (which, at, noise, final) => {
          const s = samples[which % samples.length]!.bytes;
          const cut = at % (s.length + 1);
          const mutated = Buffer.concat([
            s.subarray(0, cut),
            noise,
            s.subarray(cut + noise.length),
          ]);
          const c = classify(mutated, { final });
          expect(PROTOCOLS).toContain(c.protocol);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('every prefix of a valid sample is incomplete or classified correctly', () => {
    for (const s of samples) {
      for (let n = 0; n <= s.bytes.length; n++) {
        const c = classify(s.bytes.subarray(0, n));
        if (c.complete) expect([s.name, n, c.protocol]).toEqual([s.name, n, s.protocol]);
      }
      expect(classify(s.bytes).complete).toBe(true);
    }
  });

  test('oversized input: nothing past MAX_CLASSIFY_BYTES is read or copied', () => {
    let largestCopy = 0;
    const toString = Buffer.prototype.toString as (this: Buffer, ...a: unknown[]) => string;
    vi.spyOn(Buffer.prototype, 'toString').mockImplementation(function (
      this: Buffer,
      ...args: unknown[]
    ): string {
      const from = typeof args[1] === 'number' ? args[1] : 0;
      largestCopy = Math.max(largestCopy, this.length - from);
      return toString.apply(this, args);
    });
    const concat = Buffer.concat.bind(Buffer);
    vi.spyOn(Buffer, 'concat').mockImplementation((list, total) => {
      const out = concat(list, total);
      largestCopy = Math.max(largestCopy, out.length);
      return out;
    });
    const big = 8 * 1024 * 1024;
    for (const s of samples) {
      // The sample, then megabytes more of the same shape, as a flood would look.
      const flood = Buffer.alloc(big, s.bytes);
      const c = classify(flood);
      expect(c.complete).toBe(true);
      expect(JSON.stringify(c).length).toBeLessThan(MAX_CLASSIFY_BYTES);
    }
    expect(largestCopy).toBeGreaterThan(0);
    expect(largestCopy).toBeLessThanOrEqual(MAX_CLASSIFY_BYTES);
  });
});
