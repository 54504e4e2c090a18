/**
 * Episode benchmark: episodes per second for a trivial task (one write_file step, built-in tree
 * grader) at concurrency 1, 8 and 32, and the host memory each live sandbox costs. Real sandboxes
 * under the network cordon and eBPF: run inside the no-uplink namespace.
 * Run: `scripts/isolated.sh node dist/bench/episodes.js [--short]`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseTask, runBatch, ScriptedAgent } from '../src/episode/index.js';
import { CordonRuntime, type NetworkMode } from '../src/runtime/index.js';
import type { Sandbox } from '../src/sandbox/index.js';

export interface EpisodeRate {
  concurrency: number;
  episodes: number;
  seconds: number;
  episodesPerSec: number;
  errors: number;
}

export interface EpisodeBenchResult {
  rates: EpisodeRate[];
  /** Live sandboxes held at once for the memory figures. */
  liveSandboxes: number;
  /** Host RSS of each sandbox's processes (bwrap, cordon-init), mean. */
  rssPerSandboxMB: number;
  /** Drop in MemAvailable per sandbox: processes plus kernel objects (namespaces, cgroups, veths). */
  memAvailablePerSandboxMB: number;
  network: string;
  monitor: string;
}

const TRIVIAL = parseTask({
  id: 'bench-trivial',
  instruction: 'Write the line ok to done.txt',
  workspace: { files: { 'README.md': 'write ok to done.txt\n' } },
  grader: { builtin: 'expected-tree', expected: { 'done.txt': 'ok\n' } },
  maxSteps: 3,
});
const writer = () =>
  new ScriptedAgent('writer', () => [
    { tool: 'write_file', args: { path: 'done.txt', content: 'ok\n' } },
  ]);

function memAvailableKB(): number {
  const m = /MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Number(m?.[1] ?? 0);
}

function rssKB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * @example const r = await benchEpisodes({ short: true }); r.rates[0].episodesPerSec
 */
export async function benchEpisodes(
  options: { short?: boolean; network?: NetworkMode } = {},
): Promise<EpisodeBenchResult> {
  const runtime = await CordonRuntime.start({
    network: options.network ?? 'auto',
    monitor: 'ebpf',
  });
  await runtime.monitor?.ready();
  try {
    // Warm-up: first sandbox pays for lazy set-up (netns pool, DNS, eBPF maps).
    await runBatch(runtime, { tasks: [TRIVIAL], agent: writer, episodes: 2, concurrency: 1 });
    const rates: EpisodeRate[] = [];
    for (const concurrency of [1, 8, 32]) {
      const episodes = options.short ? Math.max(4, concurrency) : Math.max(8, concurrency * 2);
      const { entries, durationMs } = await runBatch(runtime, {
        tasks: [TRIVIAL],
        agent: writer,
        episodes,
        concurrency,
      });
      rates.push({
        concurrency,
        episodes,
        seconds: durationMs / 1000,
        episodesPerSec: episodes / (durationMs / 1000),
        errors: entries.filter((e) => e.type === 'error').length,
      });
    }
    const live = options.short ? 8 : 32;
    const before = memAvailableKB();
    const sandboxes: Sandbox[] = [];
    try {
      for (let i = 0; i < live; i += 1)
        sandboxes.push(await runtime.createSandbox({ policy: TRIVIAL.policy }));
      await Promise.all(sandboxes.map((s) => s.exec(['true'])));
      const after = memAvailableKB();
      const rss = sandboxes.map((s) => s.hostPids().reduce((sum, pid) => sum + rssKB(pid), 0));
      return {
        rates,
        liveSandboxes: live,
        rssPerSandboxMB: rss.reduce((a, b) => a + b, 0) / live / 1024,
        memAvailablePerSandboxMB: Math.max(0, before - after) / live / 1024,
        network: runtime.network ? 'cordon' : 'loopback',
        monitor: runtime.monitor ? 'ebpf/proc' : 'off',
      };
    } finally {
      await Promise.allSettled(sandboxes.map((s) => s.destroy()));
    }
  } finally {
    await runtime.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchEpisodes({ short: process.argv.includes('--short') });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
