/**
 * establishedFrom reads the kernel's own table: connections a listener has not accepted yet are
 * counted, as are those the client already closed (CLOSE_WAIT), and nothing else.
 */
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { establishedFrom } from './proxy.js';

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
