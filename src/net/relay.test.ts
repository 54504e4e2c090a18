import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { kernelRelayStatus } from './relay.js';
import { connectUpstream, splice, type SpliceHandle, type SpliceStats } from './splice.js';

const relayBuilt = kernelRelayStatus().available;
const servers: Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const portOf = (s: Server) => (s.address() as { port: number }).port;
const fdCount = () => readdirSync('/proc/self/fd').length;

/** Waits (up to 2 s) for sockets being closed to release their descriptors. */
async function settledFdCount(atMost: number): Promise<number> {
  for (let i = 0; i < 40 && fdCount() > atMost; i++) await new Promise((r) => setTimeout(r, 50));
  return fdCount();
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return portOf(server);
}

/**
 * libuv may report a reset that follows a partial read as EOF ('end'): a reset connection then
 * refuses the next write, where a half-closed one (a FIN instead of a reset) would accept it.
 */
function confirmReset(socket: Socket, firstSign: string): Promise<string> {
  if (firstSign !== 'end') return Promise.resolve(firstSign);
  return new Promise<string>((resolve) => {
    socket.once('error', (e) => resolve(e.message));
    socket.write('more', () => setTimeout(() => resolve('accepted'), 50));
  });
}

/**
 * A front proxy: reads the client's first chunk like the real proxy does, connects upstream and
 * splices (the kernel relay when built). Resolves each flow's handle and stats.
 */
async function front(upstreamPort: number, kernel = true) {
  const flows: { handle: SpliceHandle; stats: Promise<SpliceStats> }[] = [];
  const ready: ((v: (typeof flows)[number]) => void)[] = [];
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client: Socket) => {
    client.on('error', () => undefined);
    client.once('readable', () => {
      // Hand over only the first 64 bytes as `first`: the rest stays buffered in Node, as after
      // the real proxy's classification, and must reach the upstream right after them.
      const all = (client.read() as Buffer | null) ?? Buffer.alloc(0);
      const first = all.subarray(0, 64);
      if (all.length > 64) client.unshift(all.subarray(64));
      void connectUpstream('127.0.0.1', upstreamPort).then((up) => {
        let done!: (s: SpliceStats) => void;
        const stats = new Promise<SpliceStats>((r) => (done = r));
        const handle = splice(client, up, first, performance.now(), done, { kernel });
        const flow = { handle, stats };
        flows.push(flow);
        ready.shift()?.(flow);
      });
    });
  });
  const port = await listen(server);
  const next = () =>
    new Promise<(typeof flows)[number]>((r) => {
      ready.push(r);
    });
  return { port, next };
}

/** Connects, sends `request`, optionally ends, and collects everything until the server ends. */
function exchange(port: number, request: Buffer, endAfterWrite = true) {
  const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const got: Buffer[] = [];
  c.on('data', (b: Buffer) => got.push(b));
  c.write(request);
  if (endAfterWrite) c.end();
  return new Promise<{ body: Buffer; error?: string }>((resolve) => {
    c.once('error', (e) => resolve({ body: Buffer.concat(got), error: e.message }));
    c.once('end', () => {
      c.end();
      resolve({ body: Buffer.concat(got) });
    });
  });
}

test.skipIf(!relayBuilt)(
  'relays several MB each way in the kernel, byte-exact, and counts each way',
  async () => {
    const request = randomBytes(5 * 1024 * 1024);
    const reply = randomBytes(7 * 1024 * 1024);
    const received: Buffer[] = [];
    const upstream = createServer({ allowHalfOpen: true }, (s) => {
      s.on('data', (b: Buffer) => received.push(b));
      s.once('end', () => s.end(reply));
    });
    const f = await front(await listen(upstream));
    const flow = f.next();
    const before = fdCount();
    const { body } = await exchange(f.port, request);
    const { handle, stats } = await flow;
    expect(handle.inKernel).toBe(true);
    const s = await stats;
    expect(digest(Buffer.concat(received))).toBe(digest(request));
    expect(digest(body)).toBe(digest(reply));
    expect(s).toMatchObject({ bytesOut: request.length, bytesIn: reply.length });
    expect(s.error).toBeUndefined();
    // The client's own socket closes with the exchange; the relay left nothing open.
    expect(await settledFdCount(before)).toBeLessThanOrEqual(before);
  },
);

test.skipIf(!relayBuilt)(
  'keeps relaying the server side after the client ends its side (half-close)',
  async () => {
    const reply = randomBytes(3 * 1024 * 1024);
    let sawEnd = false;
    const upstream = createServer({ allowHalfOpen: true }, (s) => {
      s.resume();
      // Answer only once the client's FIN arrived through the relay, slowly, in pieces.
      s.once('end', () => {
        sawEnd = true;
        let off = 0;
        const step = () => {
          if (off >= reply.length) return void s.end();
          s.write(reply.subarray(off, off + 256 * 1024));
          off += 256 * 1024;
          setTimeout(step, 5);
        };
        step();
      });
    });
    const f = await front(await listen(upstream));
    const flow = f.next();
    const { body } = await exchange(f.port, Buffer.from('QUIT\r\n'));
    const s = await (await flow).stats;
    expect(sawEnd).toBe(true);
    expect(digest(body)).toBe(digest(reply));
    expect(s).toMatchObject({ bytesOut: 6, bytesIn: reply.length });
  },
);

test.skipIf(!relayBuilt)(
  'resets the client when the upstream resets mid-transfer, and reports the error',
  async () => {
    const upstream = createServer({ allowHalfOpen: true }, (s) => {
      s.once('data', () => {
        s.write(randomBytes(1024 * 1024), () => setTimeout(() => s.resetAndDestroy(), 20));
      });
    });
    const f = await front(await listen(upstream));
    const flow = f.next();
    const c = connect({ port: f.port, host: '127.0.0.1', allowHalfOpen: true });
    let received = 0;
    c.on('data', (b: Buffer) => (received += b.length));
    c.write('GET / HTTP/1.0\r\n\r\n');
    const firstSign = await new Promise<string>((resolve) => {
      c.once('error', (e) => resolve(e.message));
      c.once('end', () => resolve('end'));
    });
    const s = await (await flow).stats;
    expect(s.error).toMatch(/upstream: Connection reset/);
    // Counted as handed to the client's socket, as Node counts: the reset drops what was queued.
    expect(s.bytesIn).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(s.bytesIn);
    expect(await confirmReset(c, firstSign)).toMatch(/ECONNRESET|EPIPE/);
    c.destroy();
  },
);

test.skipIf(!relayBuilt)(
  'ends the flow when a half-closed client resets while the upstream is silent',
  async () => {
    let upstreamSocket!: (s: Socket) => void;
    const upstreamGotEnd = new Promise<Socket>((r) => (upstreamSocket = r));
    const upstream = createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => undefined);
      s.resume();
      s.once('end', () => upstreamSocket(s)); // and never answers
    });
    const f = await front(await listen(upstream));
    const flow = f.next();
    const c = connect({ port: f.port, host: '127.0.0.1', allowHalfOpen: true });
    c.on('error', () => undefined);
    c.end('request');
    const up = await upstreamGotEnd;
    c.resetAndDestroy();
    const s = await (await flow).stats;
    expect(s.error).toMatch(/^client: /);
    expect(s.bytesOut).toBe(7);
    // The upstream, done reading, learns of the reset when it answers.
    expect(await confirmReset(up, 'end')).toMatch(/ECONNRESET|EPIPE/);
  },
);

test.skipIf(!relayBuilt)(
  'relays 200 concurrent flows with exact counts and leaks no descriptor',
  async () => {
    const upstream = createServer({ allowHalfOpen: true }, (s) => {
      const got: Buffer[] = [];
      s.on('data', (b: Buffer) => got.push(b));
      // Echo back what the flow sent, twice: counts differ each way.
      s.once('end', () => {
        const all = Buffer.concat(got);
        s.end(Buffer.concat([all, all]));
      });
    });
    const f = await front(await listen(upstream));
    const before = fdCount();
    const n = 200;
    const flows = Array.from({ length: n }, () => f.next());
    const payloads = Array.from({ length: n }, (_, i) => randomBytes(1000 + i * 997));
    const results = await Promise.all(payloads.map((p) => exchange(f.port, p)));
    const stats = await Promise.all(flows.map(async (fl) => (await fl).stats));
    results.forEach((r, i) => {
      const p = payloads[i] ?? Buffer.alloc(0);
      expect(digest(r.body)).toBe(digest(Buffer.concat([p, p])));
    });
    const byOut = [...stats].sort((a, b) => a.bytesOut - b.bytesOut);
    byOut.forEach((s, i) => {
      const size = payloads[i]?.length ?? 0;
      expect(s).toMatchObject({ bytesOut: size, bytesIn: 2 * size });
      expect(s.error).toBeUndefined();
    });
    expect(await settledFdCount(before)).toBeLessThanOrEqual(before);
  },
);

test.skipIf(!relayBuilt)(
  'relays 20 full-duplex echo flows of 2 MB at once, both directions moving together',
  async () => {
    const upstream = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
    const f = await front(await listen(upstream));
    const payloads = Array.from({ length: 20 }, () => randomBytes(2 * 1024 * 1024));
    const flows = payloads.map(() => f.next());
    const echoed = await Promise.all(
      payloads.map((p) => {
        const c = connect({ port: f.port, host: '127.0.0.1', allowHalfOpen: true });
        const got: Buffer[] = [];
        c.on('data', (b: Buffer) => got.push(b));
        // Written in pieces while the echo streams back, so both directions are busy at once.
        let off = 0;
        const step = () => {
          while (off < p.length) {
            const piece = p.subarray(off, off + 64 * 1024);
            off += piece.length;
            if (!c.write(piece)) return void c.once('drain', step);
          }
          c.end();
        };
        step();
        return new Promise<Buffer>((resolve) => c.once('end', () => resolve(Buffer.concat(got))));
      }),
    );
    echoed.forEach((e, i) => expect(digest(e)).toBe(digest(payloads[i] ?? Buffer.alloc(0))));
    const stats = await Promise.all(flows.map(async (fl) => (await fl).stats));
    for (const st of stats) {
      expect(st.bytesOut).toBe(2 * 1024 * 1024);
      expect(st.bytesIn).toBe(2 * 1024 * 1024);
    }
  },
);

test.skipIf(!relayBuilt)(
  'an aborted flow resets both connections and reports aborted',
  async () => {
    let upstreamSocket!: (s: Socket) => void;
    const upstreamReading = new Promise<Socket>((r) => (upstreamSocket = r));
    const upstream = createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => undefined);
      s.once('data', () => upstreamSocket(s));
    });
    const f = await front(await listen(upstream));
    const flow = f.next();
    const c = connect(f.port, '127.0.0.1');
    const gone = (socket: Socket) =>
      new Promise<string>((resolve) => {
        socket.once('error', (e) => resolve(e.message));
        socket.once('end', () => resolve('end'));
      });
    const clientGone = gone(c);
    c.write('hello');
    const { handle, stats } = await flow;
    const up = await upstreamReading;
    const upstreamGone = gone(up);
    handle.destroy();
    expect((await stats).error).toMatch(/aborted/);
    expect(await confirmReset(c, await clientGone)).toMatch(/ECONNRESET|EPIPE/);
    expect(await confirmReset(up, await upstreamGone)).toMatch(/ECONNRESET|EPIPE/);
    c.destroy();
  },
);

test('the Node fallback relays the same bytes (kernel: false)', async () => {
  const reply = randomBytes(2 * 1024 * 1024);
  const upstream = createServer({ allowHalfOpen: true }, (s) => {
    s.resume();
    s.once('end', () => s.end(reply));
  });
  const f = await front(await listen(upstream), false);
  const flow = f.next();
  const { body } = await exchange(f.port, Buffer.from('GET / HTTP/1.0\r\n\r\n'));
  const { handle, stats } = await flow;
  expect(handle.inKernel).toBe(false);
  expect(digest(body)).toBe(digest(reply));
  expect(await stats).toMatchObject({ bytesOut: 18, bytesIn: reply.length });
});
