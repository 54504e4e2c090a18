import { spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { expect, test } from 'vitest';
import { establishedFrom, findSocketOwner, procNetAddress, socketInode } from './pid-lookup.js';

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

// A listener that never accepts, 5 clients of which 2 have closed, and /proc/net/tcp read then.
const SCRIPT = `
import socket, time
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(64)
clients = [socket.create_connection(srv.getsockname()) for _ in range(5)]
ports = [c.getsockname()[1] for c in clients]
for c in clients[:2]: c.close()
time.sleep(0.05)
print(srv.getsockname()[1]); print(' '.join(str(p) for p in ports))
print(open('/proc/self/net/tcp').read())
`;

test('counts the established and client-closed connections to a port from an address', () => {
  const r = spawnSync('python3', ['-c', SCRIPT], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  const [portLine, clientLine, ...table] = r.stdout.split('\n');
  const port = Number(portLine);
  const clients = clientLine!.split(' ').map(Number);
  const found = establishedFrom('127.0.0.1', port, table.join('\n'));
  expect(found.sort()).toEqual(clients.sort());
  expect(establishedFrom('127.0.0.2', port, table.join('\n'))).toEqual([]);
  expect(establishedFrom('127.0.0.1', port + 1, table.join('\n'))).toEqual([]);
});
