/**
 * The list of benchmarks `npm run bench` runs, by name, each turned into table rows: cordon's
 * figure and the peers measured in the same run. The layers' own benchmark functions (net, dns,
 * monitor, audit, api, episodes) are imported as they are and only mapped to rows here.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchApiFresh } from './api.js';
import { benchAuditFresh } from './audit.js';
import { benchContainment } from './containment.js';
import { benchDns } from './dns.js';
import { single, type PeerFigure, type Row } from './harness.js';
import { benchMonitorOverhead } from './monitor.js';
import { benchNetnsStart, benchProxy } from './net.js';
import type { PeerContext } from './peers/index.js';
import {
  benchCliStart,
  benchCreateRate,
  benchExec,
  benchIdleMemory,
  benchLibraryStart,
} from './startup.js';

export interface BenchContext {
  short: boolean;
  peers: PeerContext;
}

export interface BenchEntry {
  name: string;
  /** Creates network namespaces: only inside scripts/isolated.sh. */
  isolated: boolean;
  run(ctx: BenchContext): Promise<Row[]>;
}

const measured = (value: number, note?: string): PeerFigure => ({ value, note });
const quoted = (value: number, note: string): PeerFigure => ({ value, note, published: true });

export const BENCHMARKS: BenchEntry[] = [
  { name: 'cli', isolated: true, run: (c) => benchCliStart(c) },
  { name: 'library', isolated: false, run: (c) => benchLibraryStart(c) },
  { name: 'exec', isolated: false, run: (c) => benchExec(c) },
  { name: 'create', isolated: false, run: (c) => benchCreateRate(c) },
  { name: 'memory', isolated: false, run: (c) => benchIdleMemory(c) },
  {
    name: 'proxy',
    isolated: true,
    async run({ short }): Promise<Row[]> {
      const r = await benchProxy({ short });
      return [
        {
          id: 'proxy.throughput',
          benchmark: `allowed download through the proxy (${r.bytes >> 20} MiB, median of ${r.rounds})`,
          unit: 'MB/s',
          better: 'higher',
          cordon: single(r.proxyMBps),
          peers: {
            'same transfer, veth without proxy': measured(r.directMBps),
            'same proxy, Node pipe fallback': measured(r.nodePipeMBps),
          },
          target: '>= 500 MB/s and >= 70% of direct',
          note: `kernel relay (splice) for ${r.flowsInKernel} of ${r.flowsAllowed} flows; proxy CPU ${r.proxyCpuMs} ms: ${r.proxyMBpsPerCpuSecond} MB per CPU-second`,
        },
        {
          id: 'proxy.first-byte',
          benchmark: 'connect + first byte back, allowed flow',
          unit: 'ms',
          better: 'lower',
          cordon: single(r.firstByteProxyMedianMs),
          peers: { 'veth without proxy': measured(r.firstByteDirectMedianMs) },
          target: 'added < 1 ms median',
          note: `added ${r.addedFirstByteMs} ms (medians); Node pipe fallback added ${r.nodePipeAddedFirstByteMs} ms`,
        },
      ];
    },
  },
  {
    name: 'netns',
    isolated: true,
    async run({ short }): Promise<Row[]> {
      const r = await benchNetnsStart({ short });
      return [
        {
          id: 'netns.attach',
          benchmark: `attach a sandbox's network from the pool (${r.attaches} attaches)`,
          unit: 'ms',
          better: 'lower',
          cordon: single(r.pooledAttachMedianMs),
          peers: { 'built cold (ip spawns)': measured(r.coldAttachMedianMs) },
          note: `p90 ${r.pooledAttachP90Ms} ms, detach ${r.detachMedianMs} ms`,
        },
      ];
    },
  },
  {
    name: 'dns',
    isolated: false,
    async run({ short }): Promise<Row[]> {
      const r = await benchDns({ short });
      return [
        {
          id: 'dns.qps',
          benchmark: 'DNS queries answered per second (UDP, loopback)',
          unit: 'q/s',
          better: 'higher',
          cordon: single(r.qps),
          peers: {},
          target: '>= 20,000 q/s',
          note: `handler alone ${r.handlerQps} q/s; ${r.qpsPerCpuSecond} q per CPU-second`,
        },
      ];
    },
  },
  {
    name: 'monitor',
    isolated: false,
    async run({ short }): Promise<Row[]> {
      const r = await benchMonitorOverhead({ short });
      return [
        {
          id: 'monitor.overhead',
          benchmark: `parallel C build (make -j2, ${r.files} files) with the eBPF monitor`,
          unit: 'ms',
          better: 'lower',
          cordon: single(r.onMs),
          peers: { 'monitoring off': measured(r.offMs) },
          target: 'overhead < 5%',
          note:
            `overhead ${r.overheadPct}% (median of ${r.runs} off/on pairs; ${r.overheadOfMediansPct}% between the medians), ${r.eventsPerBuild} events (${r.linesPerBuild} bpftrace lines) per build; CPU per build: build ` +
            `${r.buildCpuOffMs} ms off / ${r.buildCpuOnMs} ms on, bpftrace ${r.bpftraceCpuMs} ms, ` +
            `cordon ${r.cordonCpuMs} ms (${r.cordonCpuOffMs} ms unmonitored); Tetragon ~10.6% (published)`,
        },
      ];
    },
  },
  {
    name: 'audit',
    isolated: false,
    run({ short }): Promise<Row[]> {
      // The write worker is how `cordon serve` stores events; inline is `cordon run`'s writer.
      const r = benchAuditFresh({ short, writer: 'worker' });
      const inline = benchAuditFresh({ short, writer: 'inline' });
      return Promise.resolve([
        {
          id: 'audit.events',
          benchmark: `audit events appended per second (hash chain, ${r.events} events, ${r.writer} writer as in cordon serve, ${r.process === 'own' ? 'in a process of its own' : "in the suite's process"})`,
          unit: 'ev/s',
          better: 'higher',
          cordon: single(r.eventsPerSec),
          peers: { 'Falco sample run': quoted(4400, 'published, not measured here') },
          target: '>= 100,000 ev/s',
          note:
            `${r.eventsPerCpuSec} ev per CPU-second; longest append ${r.longestAppendMs} ms; ` +
            `inline writer (cordon run) ${inline.eventsPerSec} ev/s; chains verified: ${r.verified && inline.verified}`,
        },
      ]);
    },
  },
  {
    name: 'api',
    isolated: false,
    async run({ short }): Promise<Row[]> {
      const r = await benchApiFresh({ short });
      const where = r.process === 'own' ? 'in a process of its own' : "in the suite's process";
      return [
        {
          id: 'api.exec',
          benchmark: `exec round trip of \`true\` through the HTTP API (server and client ${where})`,
          unit: 'ms',
          better: 'lower',
          cordon: single(r.execMedianMs),
          peers: { 'in-process Sandbox.exec': measured(r.directExecMedianMs) },
          target: '< 5 ms',
          note: `p90 ${r.execP90Ms} ms; API alone ${r.apiOnlyExecMedianMs} ms; from the Python client ${r.pythonExecMedianMs ?? 'n/a'} ms`,
        },
        {
          id: 'api.create-rate',
          benchmark: `sandboxes created per second through the API (concurrency ${r.createConcurrency}, ${where})`,
          unit: '/s',
          better: 'higher',
          cordon: single(r.createsPerSec),
          peers: {
            'Firecracker (2 cores)': quoted(10, 'published: 5 microVMs per core per second'),
          },
          target: '>= 50 /s',
          note: `API alone ${r.apiOnlyCreatesPerSec}/s; destroys ${r.destroysPerSec}/s`,
        },
      ];
    },
  },
  { name: 'containment', isolated: true, run: (c) => benchContainment(c) },
  { name: 'episodes', isolated: true, run: (c) => runEpisodes(c) },
];

/** bench/episodes.ts may land later: run it when present, mapping every numeric field. */
async function runEpisodes({ short }: BenchContext): Promise<Row[]> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const file = ['episodes.js', 'episodes.ts'].map((f) => here + f).find((f) => existsSync(f));
  if (!file) return [];
  const mod = (await import(pathToFileURL(file).href)) as {
    benchEpisodes?: (o: { short: boolean }) => Promise<unknown>;
  };
  if (!mod.benchEpisodes) return [];
  return numericRows('episodes', await mod.benchEpisodes({ short }));
}

function numericRows(prefix: string, value: unknown, path: string[] = []): Row[] {
  if (typeof value === 'number') {
    const key = path.join('.');
    const rate = /PerSec|Rate|perSecond/i.test(key);
    return [
      {
        id: `${prefix}.${key}`,
        benchmark: `${prefix}: ${key}`,
        unit: rate ? '/s' : /Ms$/.test(key) ? 'ms' : /MB$/.test(key) ? 'MB' : '',
        better: rate ? 'higher' : 'lower',
        cordon: single(value),
        peers: {},
      },
    ];
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => numericRows(prefix, v, [...path, k]));
  }
  return [];
}
