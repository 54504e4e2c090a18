/**
 * DNS server throughput: queries per second answered over loopback UDP. The server runs on this
 * thread with an event bus subscriber (as in cordon); the load generator runs on a worker thread
 * with several sockets, each keeping a window of queries in flight.
 * Run: `npm run build && node dist/bench/dns.js [--short]`.
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EventBus } from '../src/events/index.js';
import { DnsServer, buildQuery, QTYPE } from '../src/net/dns/index.js';

export interface DnsBenchResult {
  qps: number;
  queries: number;
  seconds: number;
  /** Events the bus delivered to its subscriber during the run. */
  events: number;
  /** The query handler alone (parse, score, allocate, publish, build), no sockets. */
  handlerQps: number;
  /**
   * Queries per CPU-second of this process (server and load generator together) during the UDP
   * run: what the pair reaches with a core each, when a busy machine starves the wall-clock figure.
   */
  qpsPerCpuSecond: number;
}

// Plain JS so the worker needs no TypeScript loader.
const LOAD_GENERATOR = `
const dgram = require('node:dgram');
const { parentPort, workerData } = require('node:worker_threads');
const { port, queries, sockets, window, durationMs } = workerData;
let received = 0;
let running = true;
const socks = [];
for (let s = 0; s < sockets; s++) {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 22 });
  let i = s;
  // Connected sockets: no per-send address handling on the generator's side.
  const send = () => { if (running) sock.send(queries[i++ % queries.length]); };
  sock.on('message', () => { received++; send(); });
  sock.bind(0, '127.0.0.1', () => sock.connect(port, '127.0.0.1', () => {
    for (let w = 0; w < window; w++) send();
  }));
  socks.push(sock);
}
// Lost datagrams would shrink the window: top it up.
const refill = setInterval(() => { for (const s of socks) s.emit('message'); received -= socks.length; }, 100);
const warm = setTimeout(() => {
  const start = received;
  const t0 = process.hrtime.bigint();
  parentPort.postMessage({ started: true });
  setTimeout(() => {
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const n = received - start;
    running = false;
    clearInterval(refill);
    for (const s of socks) s.close();
    parentPort.postMessage({ queries: n, seconds });
  }, durationMs);
}, 300);
`;

/**
 * @example const { qps } = await benchDns({ short: true });
 */
export async function benchDns({
  short = false,
}: { short?: boolean } = {}): Promise<DnsBenchResult> {
  const bus = new EventBus();
  let events = 0;
  bus.subscribe(() => {
    events++;
  });
  const server = await DnsServer.start({
    bus,
    host: '127.0.0.1',
    port: 0,
    identify: () => ({ sandboxId: 'bench', attribution: { sandboxId: 'bench' }, hosts: {} }),
  });
  try {
    // 2,000 distinct names, A and AAAA: the table fills during warm-up, then lookups dominate.
    const queries = Array.from({ length: 2000 }, (_, i) =>
      buildQuery(`host-${i}.registry.test`, i % 4 === 0 ? QTYPE.AAAA : QTYPE.A, i & 0xffff),
    );
    const worker = new Worker(LOAD_GENERATOR, {
      eval: true,
      workerData: {
        port: server.udpPort,
        queries,
        sockets: 4,
        window: 32,
        durationMs: short ? 1000 : 5000,
      },
    });
    let cpuAtStart = process.cpuUsage();
    worker.on('message', (m: { started?: boolean }) => {
      if (m.started) cpuAtStart = process.cpuUsage();
    });
    const result = await new Promise<{ queries: number; seconds: number }>((resolve, reject) => {
      worker.on('message', (m: { started?: boolean; queries: number; seconds: number }) => {
        if (!m.started) resolve(m);
      });
      worker.once('error', reject);
    });
    const cpu = process.cpuUsage(cpuAtStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    await worker.terminate();
    const delivered = events;
    const source = { address: '127.0.0.1', port: 1, transport: 'udp' as const };
    const n = short ? 50_000 : 300_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) server.handle(queries[i % queries.length]!, source);
    const handlerSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return {
      qps: Math.round(result.queries / result.seconds),
      ...result,
      events: delivered,
      handlerQps: Math.round(n / handlerSeconds),
      qpsPerCpuSecond: Math.round(result.queries / cpuSeconds),
    };
  } finally {
    await server.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchDns({ short: process.argv.includes('--short') })));
}
