import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EventBus, type CordonEvent, type DnsQueryEvent } from '../../events/index.js';
import { DnsServer } from './server.js';
import {
  buildQuery,
  frameTcp,
  parseMessage,
  QTYPE,
  RCODE,
  TcpDeframer,
  type DnsMessage,
} from './wire.js';

const run = promisify(execFile);
const hasDig = existsSync('/usr/bin/dig');

let bus: EventBus;
let server: DnsServer;
const events: DnsQueryEvent[] = [];

beforeAll(async () => {
  bus = new EventBus();
  bus.subscribe((e: CordonEvent) => {
    if (e.kind === 'net.dns') events.push(e);
  });
  server = await DnsServer.start({
    bus,
    host: '127.0.0.1',
    port: 0,
    // 127.0.0.1 is sandbox sb1; any other source (127.0.0.2) is unknown.
    identify: (addr) =>
      addr === '127.0.0.1'
        ? { sandboxId: 'sb1', attribution: { sandboxId: 'sb1', stepId: 'step-7' }, hosts: {} }
        : null,
  });
});

afterAll(async () => {
  await server.close();
});

function udpQuery(query: Buffer, from = '127.0.0.1'): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('no UDP reply'));
    }, 2000);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      const r = parseMessage(msg);
      if (r.ok) resolve(r.message);
      else reject(new Error(r.error));
    });
    sock.bind(0, from, () => sock.send(query, server.udpPort, '127.0.0.1'));
  });
}

function tcpQueries(queries: Buffer[]): Promise<DnsMessage[]> {
  return new Promise((resolve, reject) => {
    const out: DnsMessage[] = [];
    const deframer = new TcpDeframer();
    const sock = net.connect(server.tcpPort, '127.0.0.1', () => {
      sock.write(Buffer.concat(queries.map(frameTcp))); // pipelined in one write
    });
    sock.on('error', reject);
    sock.on('data', (chunk: Buffer) => {
      for (const m of deframer.push(chunk)) {
        const r = parseMessage(m);
        if (r.ok) out.push(r.message);
      }
      if (out.length === queries.length) {
        sock.destroy();
        resolve(out);
      }
    });
  });
}

const lastEvent = (name: string): DnsQueryEvent | undefined =>
  events.filter((e) => e.name === name).at(-1);

describe('DnsServer over UDP and TCP', () => {
  test('binds UDP and TCP on one ephemeral port', () => {
    expect(server.udpPort).toBeGreaterThan(0);
    expect(server.tcpPort).toBe(server.udpPort);
  });

  test('a fixed port taken for TCP is an error, and the UDP port is let go', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      await expect(
        DnsServer.start({ bus, host: '127.0.0.1', port, identify: () => null }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
      // The failed start left nothing bound: the UDP port can be taken again.
      const probe = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.bind(port, '127.0.0.1', () => resolve());
      });
      probe.close();
    } finally {
      holder.close();
    }
  });

  test('answers A with a synthetic address and publishes the query', async () => {
    const r = await udpQuery(buildQuery('pool.rogue.test', QTYPE.A, 11, { edns: true }));
    expect(r).toMatchObject({ id: 11, qr: true, rcode: RCODE.NOERROR });
    const ip = [...r.answers[0]!.data].join('.');
    expect(ip).toMatch(/^198\.18\./);
    expect(server.namesFor('sb1').lookupName(ip)).toBe('pool.rogue.test');
    expect(lastEvent('pool.rogue.test')).toMatchObject({
      kind: 'net.dns',
      sandboxId: 'sb1',
      stepId: 'step-7',
      qtype: 'A',
      answer: ip,
      decision: 'allow',
      tunnelScore: 0,
      resolver: `127.0.0.1:${server.udpPort}/udp`,
    });
    // Stable: the same name asked again (any case) gets the same address.
    const again = await udpQuery(buildQuery('POOL.rogue.test', QTYPE.A, 12));
    expect([...again.answers[0]!.data].join('.')).toBe(ip);
  });

  test('AAAA is NOERROR with no answers; TXT is REFUSED and scored', async () => {
    const aaaa = await udpQuery(buildQuery('registry.test', QTYPE.AAAA, 13));
    expect(aaaa).toMatchObject({ rcode: RCODE.NOERROR, answers: [] });
    expect(lastEvent('registry.test')).toMatchObject({ qtype: 'AAAA', decision: 'allow' });
    const name = 'mzxw6ytboi2gk3tfmvzxg5dfon2gk3tbmnzw4idqmfzhg2lomvzc4.x.rogue.test';
    const txt = await udpQuery(buildQuery(name, QTYPE.TXT, 14));
    expect(txt).toMatchObject({ rcode: RCODE.REFUSED, answers: [] });
    const ev = lastEvent(name)!;
    expect(ev).toMatchObject({ qtype: 'TXT', decision: 'deny', answer: undefined });
    expect(ev.tunnelScore).toBeGreaterThan(0.8);
  });

  test('an unknown source is REFUSED and still recorded', async () => {
    const r = await udpQuery(buildQuery('who.test', QTYPE.A, 15), '127.0.0.2');
    expect(r).toMatchObject({ rcode: RCODE.REFUSED, answers: [] });
    expect(lastEvent('who.test')).toMatchObject({
      sandboxId: 'unknown:127.0.0.2',
      decision: 'deny',
    });
    expect(server.namesFor('sb1').lookupAddress('who.test')).toBeUndefined();
  });

  test('serves pipelined queries over TCP', async () => {
    const [a, aaaa] = await tcpQueries([
      buildQuery('tcp.rogue.test', QTYPE.A, 21),
      buildQuery('tcp.rogue.test', QTYPE.AAAA, 22),
    ]);
    expect(a).toMatchObject({ id: 21, rcode: 0 });
    expect(server.namesFor('sb1').lookupName([...a!.answers[0]!.data].join('.'))).toBe(
      'tcp.rogue.test',
    );
    expect(aaaa).toMatchObject({ id: 22, rcode: 0, answers: [] });
    expect(lastEvent('tcp.rogue.test')?.resolver).toMatch(/\/tcp$/);
  });

  test.skipIf(!hasDig)(
    'dig gets the synthetic address over UDP and TCP (needs dnsutils)',
    async () => {
      const ip = server.namesFor('sb1').addressFor('pool.rogue.test');
      const port = String(server.udpPort);
      const tcpPort = String(server.tcpPort);
      const udp = await run('dig', [
        '@127.0.0.1',
        '-p',
        port,
        'pool.rogue.test',
        'A',
        '+short',
        '+tries=1',
      ]);
      expect(udp.stdout.trim()).toBe(ip);
      const tcp = await run('dig', [
        '@127.0.0.1',
        '-p',
        tcpPort,
        '+tcp',
        'pool.rogue.test',
        '+short',
      ]);
      expect(tcp.stdout.trim()).toBe(ip);
      const txt = await run('dig', ['@127.0.0.1', '-p', port, 'x.rogue.test', 'TXT', '+tries=1']);
      expect(txt.stdout).toContain('status: REFUSED');
    },
  );

  test('a sandbox out of synthetic addresses gets SERVFAIL, recorded as denied', async () => {
    const small = await DnsServer.start({
      bus,
      host: '127.0.0.1',
      port: 0,
      maxNamesPerSandbox: 1,
      identify: () => ({
        sandboxId: 'sb-small',
        attribution: { sandboxId: 'sb-small' },
        hosts: {},
      }),
    });
    try {
      const ask = (name: string): Promise<DnsMessage> =>
        new Promise((resolve, reject) => {
          const sock = dgram.createSocket('udp4');
          sock.on('message', (m) => {
            sock.close();
            const r = parseMessage(m);
            if (r.ok) resolve(r.message);
            else reject(new Error(r.error));
          });
          sock.send(buildQuery(name, QTYPE.A, 1), small.udpPort, '127.0.0.1');
        });
      expect((await ask('one.test')).rcode).toBe(RCODE.NOERROR);
      expect((await ask('two.test')).rcode).toBe(RCODE.SERVFAIL);
      expect(lastEvent('two.test')).toMatchObject({ sandboxId: 'sb-small', decision: 'deny' });
      expect(small.stats()).toMatchObject({ answered: 1, refused: 1, errors: 0 });
    } finally {
      await small.close();
    }
  });

  test('fuzzed packets are dropped and counted; the server keeps answering', async () => {
    const before = server.stats().malformed;
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const valid = buildQuery('fuzz.rogue.test', QTYPE.A, 99);
    const packets = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 600 }),
        fc
          .tuple(fc.nat(valid.length), fc.uint8Array({ minLength: 1, maxLength: 8 }))
          .map(([at, noise]) => {
            const b = Buffer.from(valid);
            b.set(noise.subarray(0, b.length - at), at);
            return b;
          }),
        fc.nat(valid.length).map((n) => valid.subarray(0, n)),
      ),
      3000,
    );
    for (const p of packets) sock.send(p, server.udpPort, '127.0.0.1');
    // Garbage over TCP too: random framing, then the connection is dropped.
    await new Promise<void>((resolve) => {
      const t = net.connect(server.tcpPort, '127.0.0.1', () => {
        t.end(Buffer.concat(packets.slice(0, 50).map((p) => Buffer.from(p))));
      });
      t.on('close', () => resolve());
      t.on('error', () => resolve());
      t.resume();
    });
    sock.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(server.stats().malformed).toBeGreaterThan(before);
    const r = await udpQuery(buildQuery('after.fuzz.test', QTYPE.A, 100));
    expect(r.rcode).toBe(RCODE.NOERROR);
  });
});
