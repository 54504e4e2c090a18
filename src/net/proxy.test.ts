import { describe, expect, test } from 'vitest';
import { isSynthetic, toOriginForm } from './proxy.js';

describe('toOriginForm', () => {
  test('rewrites an absolute-URI request line and keeps the rest byte for byte', () => {
    const req = Buffer.from(
      'GET http://registry.test:8080/a/b?c=1 HTTP/1.1\r\nHost: registry.test\r\n\r\nbody',
    );
    expect(toOriginForm(req).toString()).toBe(
      'GET /a/b?c=1 HTTP/1.1\r\nHost: registry.test\r\n\r\nbody',
    );
  });

  test('uses / for a bare authority and leaves origin-form requests alone', () => {
    expect(toOriginForm(Buffer.from('GET http://x.test HTTP/1.0\r\n\r\n')).toString()).toBe(
      'GET / HTTP/1.0\r\n\r\n',
    );
    const origin = Buffer.from('GET /p HTTP/1.1\r\n\r\n');
    expect(toOriginForm(origin)).toBe(origin);
  });
});

test('isSynthetic covers 198.18.0.0/15 only', () => {
  expect(isSynthetic('198.18.0.1')).toBe(true);
  expect(isSynthetic('198.19.255.254')).toBe(true);
  expect(isSynthetic('198.20.0.1')).toBe(false);
  expect(isSynthetic('198.17.255.255')).toBe(false);
  expect(isSynthetic('pool.rogue.test')).toBe(false);
});
