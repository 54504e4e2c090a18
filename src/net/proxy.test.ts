import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { EventBus } from '../events/index.js';
import { isSynthetic, toOriginForm, TransparentProxy } from './proxy.js';

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

test("settle waits until the kernel's backlog from an address has been accepted", async () => {
  let accepted = 0;
  const proxy = await TransparentProxy.start({
    bus: new EventBus(),
    host: '127.0.0.1',
    findPids: false,
    lookup: () => void (accepted += 1), // no sandbox: each connection is reset once looked up
  });
  try {
    // spawnSync holds this event loop while 20 clients connect and close: all wait in the backlog.
    const clients = spawnSync('python3', [
      '-c',
      `import socket\nfor _ in range(20): socket.create_connection(('127.0.0.1', ${proxy.port})).close()`,
    ]);
    expect(clients.status).toBe(0);
    expect(accepted).toBe(0);
    expect(await proxy.settle('127.0.0.1')).toBe(true);
    expect(accepted).toBe(20);
    expect(await proxy.settle('127.0.0.2')).toBe(true); // nothing from there: at once
  } finally {
    await proxy.close();
  }
});
