/**
 * Network cordon benchmarks (run inside scripts/isolated.sh: they create netns and veths).
 * - benchProxy: an allowed download through the transparent proxy vs the same download over a
 *   plain veth without cordon (throughput, target >= 500 MB/s and >= 70% of direct), and the time
 *   added to connect + get the first byte back (median, target < 1 ms). The two paths alternate
 *   over a few rounds (medians); the proxy's Node pipe fallback is measured in the same run.
 * - benchNetnsStart: what attaching a sandbox's network costs, from the pool and built cold.
 * Run: `npm run build && scripts/isolated.sh node dist/bench/net.js [--short]`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventBus } from '../src/events/index.js';
import { NetworkCordon } from '../src/net/cordon.js';
import { runTool } from '../src/net/tools.js';
import { resolvePolicy } from '../src/policy/index.js';

export interface ProxyBenchResult {
  bytes: number;
  /** Rounds per path (a transfer and a latency series each); figures are medians of rounds. */
  rounds: number;
  proxyMBps: number;
  directMBps: number;
  ratio: number;
  /** The same proxy with the kernel relay off (the Node pipe fallback). */
  nodePipeMBps: number;
  nodePipeAddedFirstByteMs: number;
  /** Of the flows measured through the proxy (kernel relay on), how many it relayed there. */
  flowsInKernel: number;
  flowsAllowed: number;
  /** CPU the proxy process spent on the transfer, and the throughput one busy core would give. */
  proxyCpuMs: number;
  proxyMBpsPerCpuSecond: number;
  firstByteProxyMedianMs: number;
  firstByteDirectMedianMs: number;
  addedFirstByteMs: number;
}

export interface NetnsStartResult {
  attaches: number;
  pooledAttachMedianMs: number;
  pooledAttachP90Ms: number;
  coldAttachMedianMs: number;
  detachMedianMs: number;
}

// Runs inside the netns: `throughput host port` or `latency host port n`; prints JSON.
const CLIENT = `
import net from 'node:net';
const [mode, host, port, n] = process.argv.slice(2);
const once = () => new Promise((resolve, reject) => {
  const t0 = process.hrtime.bigint(); let first = 0n; let bytes = 0;
  const s = net.connect({ host, port: Number(port), noDelay: true }, () => s.write(mode === 'latency' ? 'PING /1 HTTP/1.0\\r\\n\\r\\n' : 'GET /all HTTP/1.0\\r\\n\\r\\n'));
  s.on('data', (b) => { if (!first) first = process.hrtime.bigint(); bytes += b.length; if (mode === 'latency') s.destroy(); });
  s.on('close', () => resolve({ firstMs: Number(first - t0) / 1e6, totalMs: Number(process.hrtime.bigint() - t0) / 1e6, bytes }));
  s.on('error', reject);
});
if (mode === 'throughput') console.log(JSON.stringify(await once()));
else { const xs = []; for (let i = 0; i < Number(n); i++) xs.push((await once()).firstMs); xs.sort((a, b) => a - b); console.log(JSON.stringify({ median: xs[xs.length >> 1] })); }
`;

function assertIsolated(): void {
  if (process.env.CORDON_ISOLATED !== '1') {
    throw new Error(
      'run network benchmarks inside scripts/isolated.sh (they create netns and veths)',
    );
  }
}

// The upstream runs in its own process, as a real upstream would: sharing the proxy's event loop
// would halve what either can do. `GET` gets `size` bytes, anything else one byte.
const SERVER = `
import net from 'node:net';
const size = Number(process.argv[2]);
const chunk = Buffer.alloc(1 << 20, 0x61);
const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
  s.on('error', () => {});
  s.once('data', (req) => {
    if (!req.toString('latin1').startsWith('GET')) return void s.end('1');
    let left = size;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length); left -= n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
});
server.listen(0, '0.0.0.0', () => console.log(server.address().port));
`;

async function blobServer(
  dir: string,
  size: number,
): Promise<{ port: number; child: ChildProcess }> {
  writeFileSync(join(dir, 'server.mjs'), SERVER);
  const child = spawn(process.execPath, [join(dir, 'server.mjs'), String(size)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    child.once('exit', () => reject(new Error('bench server exited')));
  });
  return { port, child };
}

async function inNs(netns: string, dir: string, args: string[]): Promise<Record<string, number>> {
  const r = await runTool('ip', [
    'netns',
    'exec',
    netns,
    process.execPath,
    join(dir, 'client.mjs'),
    ...args,
  ]);
  if (r.code !== 0) throw new Error(`bench client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number>;
}

export async function benchProxy({ short = false } = {}): Promise<ProxyBenchResult> {
  assertIsolated();
  const bytes = (short ? 256 : 1024) * 1024 * 1024;
  const n = short ? 100 : 400;
  // MB/s of one throughput run; a transfer that came back short fails the benchmark.
  const mbps = (r: Record<string, number>): number => {
    if (r.bytes !== bytes) throw new Error('bench transfer incomplete');
    return bytes / 1e6 / ((r.totalMs ?? 1) / 1000);
  };
  const dir = mkdtempSync(join(tmpdir(), 'cordon-bench-net-'));
  writeFileSync(join(dir, 'client.mjs'), CLIENT);
  const { port, child: server } = await blobServer(dir, bytes);
  const cordon = await NetworkCordon.start({
    bus: new EventBus(),
    poolSize: 1,
    findPids: false,
    dropPollMs: 0,
  });
  // The direct path: a plain veth pair outside cordon's rules (no redirect, no proxy).
  const plain = 'cordonbench-direct';
  await runTool('ip', ['-force', '-batch', '-'], `link del cbd0\nnetns del ${plain}\n`);
  await runTool(
    'ip',
    ['-batch', '-'],
    [
      `netns add ${plain}`,
      `link add cbd0 type veth peer name eth0 netns ${plain}`,
      'addr add 198.18.255.253/30 dev cbd0',
      'link set cbd0 up',
      '',
    ].join('\n'),
  );
  await runTool(
    'ip',
    ['-n', plain, '-batch', '-'],
    'addr add 198.18.255.254/30 dev eth0\nlink set eth0 up\nlink set lo up\n',
  );
  const policy = resolvePolicy({
    network: { allow: [`bench.test:${port}`], hosts: { 'bench.test': '127.0.0.1' } },
  });
  const att = await cordon.attach('bench', policy, { sandboxId: 'bench' });
  try {
    const dig = await runTool('ip', [
      'netns',
      'exec',
      att.netnsName,
      'dig',
      '+short',
      `@${att.hostAddress}`,
      'bench.test',
    ]);
    const synthetic = dig.stdout.trim();
    // Warm up both paths once, then take turns, each round in another order (the machine is
    // shared: load drifts). The Node pipe is the same proxy with the kernel relay off.
    await inNs(plain, dir, ['latency', '198.18.255.253', String(port), '5']);
    await inNs(att.netnsName, dir, ['latency', synthetic, String(port), '5']);
    const rounds = short ? 1 : 3;
    const paths = {
      direct: { ns: plain, host: '198.18.255.253', kernel: true },
      proxied: { ns: att.netnsName, host: synthetic, kernel: true },
      nodePipe: { ns: att.netnsName, host: synthetic, kernel: false },
    };
    type PathName = keyof typeof paths;
    const speeds: Record<PathName, number[]> = { direct: [], proxied: [], nodePipe: [] };
    const firstBytes: Record<PathName, number[]> = { direct: [], proxied: [], nodePipe: [] };
    let proxyCpuMs = 0;
    let flowsInKernel = 0;
    let flowsAllowed = 0;
    const perRound = Math.ceil(n / rounds);
    for (let i = 0; i < rounds; i++) {
      const order: PathName[] = ['direct', 'proxied', 'nodePipe'];
      for (let k = 0; k < i % 3; k++) order.push(order.shift()!);
      for (const name of order) {
        const path = paths[name];
        cordon.setKernelRelay(path.kernel);
        const flows0 = cordon.relayStats;
        const cpu0 = process.cpuUsage();
        speeds[name].push(mbps(await inNs(path.ns, dir, ['throughput', path.host, String(port)])));
        const cpu = process.cpuUsage(cpu0);
        if (name === 'proxied') proxyCpuMs += (cpu.user + cpu.system) / 1000;
        const lat = await inNs(path.ns, dir, ['latency', path.host, String(port), `${perRound}`]);
        firstBytes[name].push(lat.median ?? NaN);
        if (name === 'proxied') {
          flowsInKernel += cordon.relayStats.inKernel - flows0.inKernel;
          flowsAllowed += cordon.relayStats.allowed - flows0.allowed;
        }
      }
    }
    cordon.setKernelRelay(true);
    const latDirect = pct(firstBytes.direct, 0.5);
    const latProxy = pct(firstBytes.proxied, 0.5);
    const latNodePipe = pct(firstBytes.nodePipe, 0.5);
    const nodePipe = pct(speeds.nodePipe, 0.5);
    const proxied = speeds.proxied;
    const direct = speeds.direct;
    const proxyMBps = pct(proxied, 0.5);
    const directMBps = pct(direct, 0.5);
    return {
      bytes,
      rounds,
      proxyMBps: round(proxyMBps),
      directMBps: round(directMBps),
      ratio: round(proxyMBps / directMBps),
      nodePipeMBps: round(nodePipe),
      nodePipeAddedFirstByteMs: round(latNodePipe - latDirect),
      flowsInKernel,
      flowsAllowed,
      proxyCpuMs: round(proxyCpuMs / rounds),
      proxyMBpsPerCpuSecond: round(bytes / 1e6 / (proxyCpuMs / rounds / 1000)),
      firstByteProxyMedianMs: round(latProxy),
      firstByteDirectMedianMs: round(latDirect),
      addedFirstByteMs: round(latProxy - latDirect),
    };
  } finally {
    await att.detach();
    await cordon.close();
    await runTool('ip', ['-force', '-batch', '-'], `link del cbd0\nnetns del ${plain}\n`);
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchNetnsStart({ short = false } = {}): Promise<NetnsStartResult> {
  assertIsolated();
  const attaches = short ? 10 : 40;
  const policy = resolvePolicy({});
  const pooled: number[] = [];
  const detaches: number[] = [];
  const cordon = await NetworkCordon.start({ bus: new EventBus(), poolSize: 2 });
  try {
    for (let i = 0; i < attaches; i++) {
      await cordon.fillPool(); // a sandbox start in steady state finds a ready network
      const t0 = performance.now();
      const att = await cordon.attach(`b${i}`, policy, { sandboxId: `b${i}` });
      pooled.push(performance.now() - t0);
      const t1 = performance.now();
      await att.detach();
      detaches.push(performance.now() - t1);
    }
  } finally {
    await cordon.close();
  }
  const cold: number[] = [];
  const coldCordon = await NetworkCordon.start({ bus: new EventBus(), poolSize: 0 });
  try {
    for (let i = 0; i < Math.max(3, attaches >> 2); i++) {
      const t0 = performance.now();
      const att = await coldCordon.attach(`c${i}`, policy, { sandboxId: `c${i}` });
      cold.push(performance.now() - t0);
      await att.detach();
    }
  } finally {
    await coldCordon.close();
  }
  return {
    attaches,
    pooledAttachMedianMs: round(pct(pooled, 0.5)),
    pooledAttachP90Ms: round(pct(pooled, 0.9)),
    coldAttachMedianMs: round(pct(cold, 0.5)),
    detachMedianMs: round(pct(detaches, 0.5)),
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const short = process.argv.includes('--short');
  console.log(
    JSON.stringify({
      proxy: await benchProxy({ short }),
      netnsStart: await benchNetnsStart({ short }),
    }),
  );
}
