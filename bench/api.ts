/**
 * API benchmark over real live sandboxes: exec round trip of `true` through HTTP (median, p90;
 * target < 5 ms), the same exec called in-process for comparison, and sandbox creates per second
 * through the API (target >= 50/s), with concurrent clients as an RL trainer would use it.
 * Run: `npm run build && node dist/bench/api.js [--short]`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CordonClient } from '../src/client/index.js';
import { Sandbox, cordonPackageRoot } from '../src/sandbox/index.js';
import { startServer, type LaunchFn } from '../src/server/index.js';
import { runInOwnProcess } from './harness.js';

export interface ApiBenchResult {
  execs: number;
  execMedianMs: number;
  execP90Ms: number;
  /** The same exec from the Python client (clients/python), as an RL trainer calls it; null without python3. */
  pythonExecMedianMs: number | null;
  /** The same exec without HTTP (Sandbox.exec in-process): what the API adds is the difference. */
  directExecMedianMs: number;
  /** Through HTTP to a no-op sandbox: the API's own cost (routing, zod, JSON, bus, audit). */
  apiOnlyExecMedianMs: number;
  apiOnlyCreatesPerSec: number;
  creates: number;
  createConcurrency: number;
  createsPerSec: number;
  destroysPerSec: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function timeExecs(n: number, run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(20, n); i++) await run();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

/** Median exec round trip through clients/python/cordon_client.py, timed inside Python. */
function pythonExecMedian(
  url: string,
  token: string,
  sandboxId: string,
  n: number,
): Promise<number | null> {
  const script = `
import statistics, sys, time
from cordon_client import CordonClient
c = CordonClient(sys.argv[1], sys.argv[2])
for _ in range(20): c.exec(sys.argv[3], ["true"])
ts = []
for _ in range(int(sys.argv[4])):
    t = time.perf_counter(); c.exec(sys.argv[3], ["true"]); ts.append((time.perf_counter() - t) * 1000)
print(statistics.median(ts))
`;
  // Not spawnSync: the server answering the client runs on this very event loop.
  const child = spawn('python3', ['-c', script, url, token, sandboxId, String(n)], {
    cwd: join(cordonPackageRoot(), 'clients/python'),
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 120_000,
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return new Promise((resolve) => {
    child.once('error', () => resolve(null));
    child.once('close', (code) => {
      const value = Number(out.trim());
      resolve(code === 0 && Number.isFinite(value) ? value : null);
    });
  });
}

const noopLaunch: LaunchFn = () =>
  Promise.resolve({
    exec: () =>
      Promise.resolve({
        exitCode: 0,
        signal: null,
        stdout: '',
        stderr: '',
        timedOut: false,
        killedByPolicy: false,
      }),
    destroy: () => Promise.resolve(),
  });

async function createMany(
  client: CordonClient,
  creates: number,
  concurrency: number,
): Promise<{ ids: string[]; seconds: number }> {
  const ids: string[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < creates) {
        next += 1;
        ids.push((await client.createSandbox()).id);
      }
    }),
  );
  return { ids, seconds: (performance.now() - start) / 1000 };
}

/** The API alone, over a sandbox that does nothing. */
async function benchApiOnly(
  execs: number,
  creates: number,
  concurrency: number,
): Promise<{ execMedianMs: number; createsPerSec: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-bench-api0-'));
  const server = await startServer({ listen: '127.0.0.1:0', dataDir, launch: noopLaunch });
  try {
    const client = new CordonClient({ url: server.url, token: server.token });
    const sb = await client.createSandbox();
    const times = await timeExecs(execs, () => client.exec(sb.id, { argv: ['true'] }));
    const { seconds } = await createMany(client, creates, concurrency);
    return { execMedianMs: percentile(times, 0.5), createsPerSec: creates / seconds };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** @example const { execMedianMs, createsPerSec } = await benchApi({ short: true }); */
export async function benchApi({
  short = false,
}: { short?: boolean } = {}): Promise<ApiBenchResult> {
  const execs = short ? 200 : 1000;
  const creates = short ? 60 : 200;
  const concurrency = 4;
  const apiOnly = await benchApiOnly(execs, creates, concurrency);
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-bench-api-'));
  const server = await startServer({ listen: '127.0.0.1:0', dataDir });
  try {
    const client = new CordonClient({ url: server.url, token: server.token });
    const sb = await client.createSandbox();
    const viaApi = await timeExecs(execs, () => client.exec(sb.id, { argv: ['true'] }));
    const python = await pythonExecMedian(server.url, server.token, sb.id, Math.min(execs, 300));
    await client.destroy(sb.id);

    const direct = await Sandbox.create();
    const inProcess = await timeExecs(execs, () => direct.exec(['true']));
    await direct.destroy();

    const { ids, seconds: createSeconds } = await createMany(client, creates, concurrency);
    const destroyStart = performance.now();
    await Promise.all(ids.map((id) => client.destroy(id)));
    const destroySeconds = (performance.now() - destroyStart) / 1000;
    return {
      execs,
      execMedianMs: round(percentile(viaApi, 0.5)),
      execP90Ms: round(percentile(viaApi, 0.9)),
      pythonExecMedianMs: python === null ? null : round(python),
      directExecMedianMs: round(percentile(inProcess, 0.5)),
      apiOnlyExecMedianMs: round(apiOnly.execMedianMs),
      apiOnlyCreatesPerSec: round(apiOnly.createsPerSec),
      creates,
      createConcurrency: concurrency,
      createsPerSec: round(creates / createSeconds),
      destroysPerSec: round(creates / destroySeconds),
    };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * `benchApi` in a Node process of its own, as `cordon serve` runs: in the suite's process the
 * heap and threads the earlier benchmarks left slowed the server's one thread (in the same hour:
 * exec 6.6 ms and 44 creates/s there, 4.1-4.6 ms and 48-53/s alone). From sources (tsx) it runs
 * in this process.
 */
export function benchApiFresh(
  options: { short?: boolean } = {},
): Promise<ApiBenchResult & { process: 'own' | 'shared' }> {
  const own = runInOwnProcess<ApiBenchResult>(import.meta.url, options.short ? ['--short'] : []);
  if (own) return Promise.resolve({ ...own, process: 'own' as const });
  return benchApi(options).then((r) => ({ ...r, process: 'shared' as const }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchApi({ short: process.argv.includes('--short') })));
}
