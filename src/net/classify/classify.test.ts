import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { classify, MAX_CLASSIFY_BYTES } from './index.js';
import {
  captureClientHello,
  STATIC_SAMPLES,
  XMRIG_LOGIN,
  type Sample,
} from './samples.test-helper.js';

let hello: Buffer;
let helloNoAlpn: Buffer;
beforeAll(async () => {
  hello = await captureClientHello('registry.test', ['h2', 'http/1.1']);
  helloNoAlpn = await captureClientHello('pool.rogue.test', []);
});

describe('classify: table of real first writes', () => {
  test.each(STATIC_SAMPLES.map((s) => [s.name, s] as [string, Sample]))('%s', (_name, s) => {
    const c = classify(s.bytes);
    expect(c.protocol).toBe(s.protocol);
    expect(c.complete).toBe(true);
  });

  test('reads SNI and ALPN from a node:tls ClientHello', () => {
    const c = classify(hello);
    expect(c).toMatchObject({ protocol: 'tls', complete: true, sni: 'registry.test' });
    expect(c.alpn).toEqual(['h2', 'http/1.1']);
    expect(c.details.supportedVersions).toContain('TLS1.3');
    expect(c.details.malformed).toBeUndefined();
    const noAlpn = classify(helloNoAlpn);
    expect(noAlpn.sni).toBe('pool.rogue.test');
    expect(noAlpn.alpn).toBeUndefined();
  });

  test('reassembles a ClientHello split across two TLS records', () => {
    const body = hello.subarray(5);
    const cut = 40;
    const rec = (b: Buffer): Buffer =>
      Buffer.concat([Buffer.from([22, 3, 1, b.length >> 8, b.length & 255]), b]);
    const split = Buffer.concat([rec(body.subarray(0, cut)), rec(body.subarray(cut))]);
    expect(classify(split.subarray(0, 60)).complete).toBe(false);
    expect(classify(split)).toMatchObject({ protocol: 'tls', sni: 'registry.test' });
  });

  test('names the ssh version text', () => {
    expect(classify(STATIC_SAMPLES[0]!.bytes)).toMatchObject({
      sshVersion: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10',
      details: { protoVersion: '2.0', software: 'OpenSSH_9.2p1', comments: 'Debian-2+deb12u10' },
    });
  });

  test('reads method, path and Host of a curl request', () => {
    const c = classify(STATIC_SAMPLES.find((s) => s.name === 'curl GET')!.bytes);
    expect(c).toMatchObject({ method: 'GET', path: '/pkg/left-pad', httpHost: 'registry.test' });
    expect(c.details.userAgent).toBe('curl/7.88.1');
  });

  test('reads the CONNECT target and where the tunnel starts', () => {
    const connect = STATIC_SAMPLES.find((s) => s.name === 'curl CONNECT')!.bytes;
    const stratum = Buffer.from('{"id":1,"method":"mining.subscribe","params":[]}\n');
    const c = classify(Buffer.concat([connect, stratum]));
    expect(c).toMatchObject({
      protocol: 'http-connect',
      connectTarget: { host: 'registry.test', port: 443 },
      details: { headerLength: connect.length },
    });
    // The proxy classifies the tunnelled bytes again.
    const inner = Buffer.concat([connect, stratum]).subarray(c.details.headerLength as number);
    expect(classify(inner)).toMatchObject({
      protocol: 'stratum',
      stratumMethod: 'mining.subscribe',
    });
  });

  test('reads a websocket upgrade with its subprotocol', () => {
    const c = classify(STATIC_SAMPLES.find((s) => s.name === 'websocket upgrade')!.bytes);
    expect(c).toMatchObject({ httpHost: 'pool.rogue.test', websocket: { subprotocol: 'stratum' } });
  });

  test('reads the absolute-form target of a proxied request', () => {
    const c = classify(STATIC_SAMPLES.find((s) => s.name === 'proxy absolute-form GET')!.bytes);
    expect(c.details).toMatchObject({ targetHost: 'registry.test', targetPort: 8080 });
  });

  test('reads the SOCKS5 target, by name and by address', () => {
    const byName = STATIC_SAMPLES.find((s) => s.name === 'socks5 greeting + hostname request')!;
    expect(classify(byName.bytes).connectTarget).toEqual({ host: 'pool.rogue.test', port: 3333 });
    const byIp = STATIC_SAMPLES.find((s) => s.name === 'socks5 greeting + ipv4 request')!;
    expect(classify(byIp.bytes).connectTarget).toEqual({ host: '198.18.0.7', port: 3333 });
  });

  test('names the stratum method and the miner agent', () => {
    expect(classify(Buffer.from(XMRIG_LOGIN))).toMatchObject({
      protocol: 'stratum',
      stratumMethod: 'login',
      details: { agent: expect.stringMatching(/^XMRig\/6/) as unknown },
    });
    const two = STATIC_SAMPLES.find((s) => s.name.startsWith('stratum after'))!;
    expect(classify(two.bytes)).toMatchObject({ stratumMethod: 'mining.extranonce.subscribe' });
  });

  test('an unterminated stratum line waits, then is judged at the deadline', () => {
    const partial = Buffer.from('{"id":1,"method":"mining.subscribe","params":["cpuminer');
    expect(classify(partial)).toMatchObject({ protocol: 'unknown', complete: false });
    expect(classify(partial, { final: true })).toMatchObject({
      protocol: 'stratum',
      stratumMethod: 'mining.subscribe',
    });
  });

  test('JSON-RPC that is not mining is unknown', () => {
    const rpc = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}\n');
    expect(classify(rpc, { final: true }).protocol).toBe('unknown');
    const login = Buffer.from('{"id":1,"method":"login","params":{"user":"bob"}}\n');
    expect(classify(login, { final: true }).protocol).toBe('unknown');
  });

  test('a lone 64-byte random first write is stratum v2 with low confidence', () => {
    const key = randomBytes(64);
    key[0] = 0x99; // keep clear of the TLS and SOCKS5 first bytes
    expect(classify(key)).toMatchObject({ protocol: 'unknown', complete: false });
    expect(classify(key, { final: true })).toMatchObject({
      protocol: 'stratum2',
      details: { confidence: 'low' },
    });
    expect(classify(Buffer.concat([key, Buffer.from([1])]), { final: true }).protocol).toBe(
      'unknown',
    );
    expect(classify(Buffer.alloc(64, 0x61), { final: true }).protocol).toBe('unknown');
  });

  test('other bytes are unknown, and final always decides', () => {
    expect(classify(Buffer.from('hello there\n'), { final: true })).toMatchObject({
      protocol: 'unknown',
      complete: true,
    });
    expect(classify(Buffer.alloc(0))).toMatchObject({ protocol: 'unknown', complete: false });
    expect(classify(Buffer.alloc(0), { final: true }).complete).toBe(true);
  });

  test('a buffer at the byte budget is decided without more reads', () => {
    const huge = Buffer.alloc(MAX_CLASSIFY_BYTES * 4, 0x7b); // '{' forever: a line that never ends
    expect(classify(huge)).toMatchObject({ protocol: 'unknown', complete: true });
    const headers = Buffer.from('GET / HTTP/1.1\r\nHost: a.test\r\n' + 'X-Pad: y\r\n'.repeat(5000));
    expect(classify(headers)).toMatchObject({
      protocol: 'http',
      complete: true,
      httpHost: 'a.test',
    });
  });
});
