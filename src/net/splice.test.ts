import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { expect, test } from 'vitest';
import { connectUpstream, splice, type SpliceStats } from './splice.js';

test('splices both ways byte-exact and counts bytes each way', async () => {
  const payload = randomBytes(3 * 1024 * 1024);
  // Upstream: reads the request, answers with the payload.
  const upstreamServer = createServer((s) => s.once('data', () => s.end(payload)));
  await new Promise<void>((r) => upstreamServer.listen(0, '127.0.0.1', () => r()));
  const front = createServer({ allowHalfOpen: true, pauseOnConnect: true });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  const stats = new Promise<SpliceStats>((resolve) => {
    front.once('connection', (client: Socket) => {
      void connectUpstream('127.0.0.1', (upstreamServer.address() as { port: number }).port).then(
        (up) => splice(client, up, Buffer.from('GET / HTTP/1.0\r\n'), performance.now(), resolve),
      );
    });
  });
  const c = connect((front.address() as { port: number }).port, '127.0.0.1');
  const got: Buffer[] = [];
  c.on('data', (b: Buffer) => got.push(b));
  c.write('\r\n');
  await new Promise((r) => c.once('end', r));
  c.end();
  const s = await stats;
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  expect(digest(Buffer.concat(got))).toBe(digest(payload));
  expect(s.bytesIn).toBe(payload.length);
  expect(s.bytesOut).toBe('GET / HTTP/1.0\r\n\r\n'.length);
  upstreamServer.close();
  front.close();
});

test('connectUpstream rejects when nothing listens', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  await expect(connectUpstream('127.0.0.1', port)).rejects.toThrow();
});
