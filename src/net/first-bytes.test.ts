import { connect, createServer, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { readFirstBytes } from './first-bytes.js';
import { MAX_CLASSIFY_BYTES } from './classify/index.js';

const open: Socket[] = [];
afterEach(() => open.splice(0).forEach((s) => s.destroy()));

/** A connected pair on loopback: [the accepted side, the client side]. */
async function pair(): Promise<[Socket, Socket]> {
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  const s = await accepted;
  server.close();
  open.push(s, client);
  return [s, client];
}

test('decides as soon as the bytes say enough (an SSH banner)', async () => {
  const [s, c] = await pair();
  c.write('SSH-2.0-OpenSSH_9.6\r\n');
  const t0 = Date.now();
  const first = await readFirstBytes(s, { deadlineMs: 5000 });
  expect(Date.now() - t0).toBeLessThan(2000);
  expect(first.cls.protocol).toBe('ssh');
  expect(first.buf.toString()).toBe('SSH-2.0-OpenSSH_9.6\r\n');
});

test('a silent client is decided at the deadline as unknown', async () => {
  const [s] = await pair();
  const t0 = Date.now();
  const first = await readFirstBytes(s, { deadlineMs: 150 });
  expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  expect(first.cls).toMatchObject({ protocol: 'unknown', complete: true });
  expect(first.buf.length).toBe(0);
});

test('never holds more than MAX_CLASSIFY_BYTES; the rest stays in the stream', async () => {
  const [s, c] = await pair();
  const big = Buffer.alloc(MAX_CLASSIFY_BYTES * 4, 0x7a);
  c.end(big);
  const first = await readFirstBytes(s, { deadlineMs: 5000 });
  expect(first.buf.length).toBe(MAX_CLASSIFY_BYTES);
  const rest: Buffer[] = [];
  s.on('data', (b: Buffer) => rest.push(b));
  s.resume();
  await new Promise((r) => s.once('end', r));
  expect(first.buf.length + Buffer.concat(rest).length).toBe(big.length);
});

test('a client that closes early is decided with what it sent', async () => {
  const [s, c] = await pair();
  c.end('{"id":1,"method":"mining.subscribe","params":[]}\n');
  const first = await readFirstBytes(s, { deadlineMs: 5000 });
  expect(first.cls.protocol).toBe('stratum');
});
