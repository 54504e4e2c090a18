import { connect, createServer } from 'node:net';
import { expect, test } from 'vitest';
import { findSocketOwner, procNetAddress, socketInode } from './pid-lookup.js';

test('writes addresses the way /proc/net/tcp does', () => {
  expect(procNetAddress('127.0.0.1', 8080)).toBe('0100007F:1F90');
  expect(procNetAddress('198.19.0.30', 443)).toBe('1E0013C6:01BB');
});

test('finds the inode of a local socket in a /proc/net/tcp table', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0',
  ].join('\n');
  expect(socketInode(table, '0100007F:1F90')).toBe('12345');
  expect(socketInode(table, '0100007F:1F91')).toBeUndefined();
});

test('attributes a live socket of this netns to this process', async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  try {
    const owner = await findSocketOwner(
      `/proc/${process.pid}/ns/net`,
      '127.0.0.1',
      client.localPort!,
    );
    expect(owner?.pid).toBe(process.pid);
  } finally {
    client.destroy();
    server.close();
  }
});
