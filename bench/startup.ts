/**
 * Start-up benchmarks, figures (1) to (5): one-shot CLI start to exit of `true`, in-process
 * library start to exit, exec round trip in a live sandbox, sandboxes created (and destroyed) per
 * second at concurrency 1, 8 and 32, and memory per idle sandbox; each against its peers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox, cordonPackageRoot, runSandboxed } from '../src/sandbox/index.js';
import {
  peerFigure,
  round,
  sample,
  single,
  stats,
  timeSpawn,
  type BenchOptions,
  type Row,
} from './harness.js';
import {
  PEER_BWRAP,
  PEER_SRT_CLI,
  PEER_SRT_LIB,
  PEER_TRUE,
  PeerContext,
  bwrapArgv,
  type SrtPeer,
} from './peers/index.js';

export interface StartupOptions extends BenchOptions {
  peers?: PeerContext;
}

const cordonCli = (): string => join(cordonPackageRoot(), 'cordon');

/** (1) `cordon run -- true` from the shell, lean and with defaults. */
export async function benchCliStart(options: StartupOptions = {}): Promise<Row[]> {
  const short = options.short ?? false;
  const peers = options.peers ?? new PeerContext(short);
  const lean = [cordonCli(), 'run', '-q', '--no-audit', '--network', 'loopback'];
  const leanTimes = await sample(
    short ? 2 : 20,
    () => timeSpawn([...lean, '--monitor', 'off', '--', 'true']),
    short ? 1 : 3,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'cordon-bench-cli-'));
  try {
    // Defaults: network cordon, eBPF monitor (bpftrace attaches per process), audit store.
    const defaults = await sample(
      short ? 1 : 8,
      () => timeSpawn([cordonCli(), 'run', '-q', '--data-dir', dataDir, '--', 'true']),
      short ? 0 : 1,
    );
    const shared = {
      [PEER_TRUE]: await peers.plainTrue(),
      [PEER_BWRAP]: await peers.bwrapTrue(),
      [PEER_SRT_CLI]: await peers.srtCliTrue(),
    };
    return [
      {
        id: 'cli-start.lean',
        benchmark: 'CLI start to exit of `true` (--network loopback --monitor off --no-audit)',
        unit: 'ms',
        better: 'lower',
        cordon: stats(leanTimes),
        peers: shared,
        target: '< 120 ms',
      },
      {
        id: 'cli-start.defaults',
        benchmark: 'CLI start to exit of `true` (defaults: network cordon, eBPF monitor, audit)',
        unit: 'ms',
        better: 'lower',
        cordon: stats(defaults),
        peers: shared,
        note: 'includes compiling and attaching bpftrace (51 tracepoints: 3 to 4 s here), paid once per cordon process',
      },
    ];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** (2) runSandboxed(['true']) in-process. */
export async function benchLibraryStart(options: StartupOptions = {}): Promise<Row[]> {
  const short = options.short ?? false;
  const peers = options.peers ?? new PeerContext(short);
  const times = await sample(short ? 5 : 50, async () => {
    const r = await runSandboxed(['true'], { capture: true });
    if (r.exitCode !== 0) throw new Error(`runSandboxed(true) exited ${r.exitCode}`);
  });
  return [
    {
      id: 'library-start',
      benchmark: 'library start to exit of `true` (runSandboxed)',
      unit: 'ms',
      better: 'lower',
      cordon: stats(times),
      peers: {
        [PEER_TRUE]: await peers.plainTrue(),
        [PEER_BWRAP]: await peers.bwrapTrue(),
        [PEER_SRT_LIB]: await peers.srtLibTrue(),
      },
      target: '< 15 ms',
    },
  ];
}

/** (3) Sandbox.exec(['true']) in a live sandbox. */
export async function benchExec(options: StartupOptions = {}): Promise<Row[]> {
  const short = options.short ?? false;
  const peers = options.peers ?? new PeerContext(short);
  const sb = await Sandbox.create();
  let times: number[];
  try {
    times = await sample(short ? 20 : 500, async () => {
      const r = await sb.exec(['true']);
      if (r.exitCode !== 0) throw new Error(`exec(true) exited ${r.exitCode}`);
    });
  } finally {
    await sb.destroy();
  }
  return [
    {
      id: 'exec-roundtrip',
      benchmark: 'exec round trip of `true` in a live sandbox (Sandbox.exec)',
      unit: 'ms',
      better: 'lower',
      cordon: stats(times),
      peers: {
        [PEER_TRUE]: await peers.plainTrue(),
        [PEER_BWRAP]: await peers.bwrapTrue(),
        [PEER_SRT_LIB]: await peers.srtLibTrue(),
      },
      target: '< 5 ms',
      note: 'peers have no live sandbox: each command is a fresh bwrap / wrapWithSandbox',
    },
  ];
}

async function atConcurrency(total: number, concurrency: number, one: () => Promise<unknown>) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        next += 1;
        await one();
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

/** (4) Sandbox.create + destroy per second at concurrency 1, 8, 32. */
export async function benchCreateRate(options: StartupOptions = {}): Promise<Row[]> {
  const short = options.short ?? false;
  const rows: Row[] = [];
  for (const c of [1, 8, 32]) {
    const total = short ? Math.max(2, c) : Math.max(20, 3 * c);
    const rate = await atConcurrency(total, c, async () => (await Sandbox.create()).destroy());
    const bwrap = await peerFigure(() =>
      atConcurrency(total, c, () => timeSpawn(bwrapArgv(['true']))),
    );
    rows.push({
      id: `create-rate.c${c}`,
      benchmark: `sandboxes created + destroyed per second, concurrency ${c} (${total} in all)`,
      unit: '/s',
      better: 'higher',
      cordon: single(round(rate)),
      peers: { [PEER_BWRAP]: bwrap },
      note: 'bare bwrap: one `bwrap ... true` per sandbox, nothing kept alive',
    });
  }
  return rows;
}

function rssBytes(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** `root` and every descendant, from /proc/<pid>/stat. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // gone already
    }
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

function cgroupMemoryBytes(paths: readonly string[]): number | null {
  for (const p of paths) {
    const file = p.includes('/memory/') ? 'memory.usage_in_bytes' : 'memory.current';
    try {
      return Number(readFileSync(join(p, file), 'utf8').trim());
    } catch {
      // not this controller's directory
    }
  }
  return null;
}

const MB = 1024 * 1024;

async function idleTreeMB(argv: string[], cwd?: string): Promise<number> {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { stdio: 'ignore', ...(cwd ? { cwd } : {}) });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    if (child.exitCode !== null) throw new Error(`${argv.join(' ')} exited ${child.exitCode}`);
    const pids = processTree(child.pid!);
    return pids.reduce((sum, pid) => sum + rssBytes(pid), 0) / MB;
  } finally {
    child.kill('SIGKILL');
  }
}

/** (5) RSS of an idle sandbox's processes, and its cgroup's memory. */
export async function benchIdleMemory(options: StartupOptions = {}): Promise<Row[]> {
  const short = options.short ?? false;
  const peers = options.peers ?? new PeerContext(short);
  const boxes = await Promise.all(Array.from({ length: short ? 2 : 8 }, () => Sandbox.create()));
  let rss: number[];
  let cg: number[];
  try {
    await new Promise((r) => setTimeout(r, 500));
    rss = boxes.map((b) => b.hostPids().reduce((s, pid) => s + rssBytes(pid), 0) / MB);
    cg = boxes.map((b) => (cgroupMemoryBytes(b.cgroup.paths) ?? NaN) / MB);
  } finally {
    await Promise.all(boxes.map((b) => b.destroy()));
  }
  const srt = await peers.srtPeer();
  const srtIdle: Row['peers'] =
    'error' in srt
      ? { [PEER_SRT_CLI]: { value: null, note: srt.error } }
      : { [PEER_SRT_CLI]: await peerFigure(() => idleSrt(srt)) };
  const bwrapIdle = await peerFigure(() => idleTreeMB(bwrapArgv(['sleep', '60'])));
  return [
    {
      id: 'memory.idle-rss',
      benchmark: `memory per idle sandbox: RSS of its processes (${boxes.length} sandboxes)`,
      unit: 'MB',
      better: 'lower',
      cordon: stats(rss.map((x) => round(x))),
      peers: { [PEER_BWRAP]: bwrapIdle, ...srtIdle },
      note: 'peers: RSS of the process tree running `sleep` (srt CLI: its node process included)',
    },
    {
      id: 'memory.idle-cgroup',
      benchmark: 'memory per idle sandbox: cgroup memory (kernel + page cache charged)',
      unit: 'MB',
      better: 'lower',
      cordon: stats(cg.map((x) => round(x))),
      peers: {},
      note: 'peers have no cgroup of their own',
    },
  ];
}

function idleSrt(peer: SrtPeer): Promise<number> {
  return idleTreeMB(peer.cliArgv('sleep 60'), peer.workspace);
}
