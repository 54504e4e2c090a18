import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { nodeTransport } from './transport.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A raw HTTP/1.1 server: answers the first request of each connection, resets on a second. */
async function flakyKeepAliveServer(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((socket: Socket) => {
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return void socket.resetAndDestroy(); // the idle-close race, made certain
      answered = true;
      requests.push(chunk.toString('latin1').split('\r\n')[0] ?? '');
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/v1/x`, requests };
}

test('a request reset on a kept-alive connection is sent once more on a new one', async () => {
  const { url, requests } = await flakyKeepAliveServer();
  const send = nodeTransport();
  const first = await send({ method: 'POST', url, headers: {}, body: '{}' });
  const second = await send({ method: 'POST', url, headers: {}, body: '{}' });
  expect([first.status, first.body.toString(), second.status, second.body.toString()]).toEqual([
    200,
    'ok',
    200,
    'ok',
  ]);
  // The reset request was never answered; its retry was, on a second connection.
  expect(requests).toEqual(['POST /v1/x HTTP/1.1', 'POST /v1/x HTTP/1.1']);
});

test('a fresh connection that fails is an error, not a retry loop', async () => {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.resetAndDestroy();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await expect(
    nodeTransport()({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {} }),
  ).rejects.toMatchObject({ code: 'ECONNRESET' });
  expect(connections).toBe(1); // a fresh connection is never retried
});
