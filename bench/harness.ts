/**
 * The benchmark harness: timing samples and their statistics, spawning a command and timing it to
 * exit, the result rows every benchmark returns (cordon against its peers, measured in one run),
 * the table they print as, and the facts about the machine that go with the figures.
 */
import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface Stats {
  n: number;
  median: number;
  min: number;
  max: number;
  p90: number;
  p99: number;
}

/** One peer's figure for a row: a value, or null with the reason it could not be measured. */
export interface PeerFigure {
  value: number | null;
  note?: string | undefined;
  /** Quoted from elsewhere, not measured in this run. */
  published?: boolean | undefined;
}

export interface Row {
  /** Stable key, e.g. `cli-start.loopback`. */
  id: string;
  benchmark: string;
  unit: string;
  /** Which way is better: ratios are always peer / cordon for `lower`, cordon / peer for `higher`. */
  better: 'lower' | 'higher';
  cordon: Stats | null;
  peers: Record<string, PeerFigure>;
  target?: string | undefined;
  note?: string | undefined;
}

export interface BenchOptions {
  short?: boolean;
}

const sortedCopy = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

function pick(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

export function stats(xs: readonly number[]): Stats {
  const s = sortedCopy(xs);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
  return {
    n: s.length,
    median: round(median),
    min: round(s[0] ?? NaN),
    max: round(s[s.length - 1] ?? NaN),
    p90: round(pick(s, 0.9)),
    p99: round(pick(s, 0.99)),
  };
}

/** A single figure (a rate, a ratio) as Stats, so every row has the same shape. */
export function single(value: number): Stats {
  return stats([value]);
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Runs `fn` `warmup` times untimed, then `n` times, and returns the wall times in ms. */
export async function sample(
  n: number,
  fn: () => Promise<unknown>,
  warmup = Math.min(3, n),
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * Spawns `argv` and resolves with its wall time (spawn to exit) in ms; rejects on a non-zero exit,
 * with the tail of its stderr, so a broken peer never passes for a fast one.
 */
export function timeSpawn(argv: readonly string[], options: SpawnOptions = {}): Promise<number> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('timeSpawn: empty argv'));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`${argv.join(' ')} exited ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/** Runs a command to completion and returns its exit code and output (for probes). */
export function runCapture(
  argv: readonly string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<{ code: number | null; out: string }> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('runCapture: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let out = '';
    const add = (b: Buffer) => (out = (out + b.toString()).slice(-64_000));
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Wraps a peer measurement: a failure becomes a figure with the error, never a crash. */
export async function peerFigure(fn: () => Promise<number>): Promise<PeerFigure> {
  try {
    return { value: round(await fn()) };
  } catch (error) {
    return { value: null, note: errorText(error) };
  }
}

export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

/** peer / cordon when lower is better, cordon / peer when higher is better: > 1 means cordon wins. */
export function ratio(row: Row, peer: PeerFigure): number | null {
  const c = row.cordon?.median;
  if (c === undefined || peer.value === null || !Number.isFinite(c) || c === 0) return null;
  return round(row.better === 'lower' ? peer.value / c : c / peer.value);
}

export interface MachineFacts {
  cores: number;
  cpu: string;
  kernel: string;
  node: string;
  date: string;
  loadAverage: number[];
  memTotalMB: number;
}

export function machineFacts(): MachineFacts {
  const meminfo = (() => {
    try {
      return readFileSync('/proc/meminfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const memKB = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0);
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: loadavg().map((l) => round(l)),
    memTotalMB: Math.round(memKB / 1024),
  };
}

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return String(round(n, n < 10 ? 2 : 1));
}

/**
 * Rows as one markdown table. Ratios: `x` > 1 means cordon is better by that factor; figures
 * marked † are published ones, not measured in this run.
 */
export function formatTable(rows: readonly Row[]): string {
  const lines = [
    '| benchmark | unit | cordon median | min / max | p99 | peers (same run) | ratio vs cordon | target |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const c = row.cordon;
    const peers = Object.entries(row.peers);
    const peerText = peers
      .map(
        ([name, p]) =>
          `${name}: ${p.value === null ? 'n/a' : fmt(p.value)}${p.published ? '†' : ''}`,
      )
      .join('; ');
    const ratios = peers
      .map(([name, p]) => {
        const r = ratio(row, p);
        return r === null ? '' : `${name} ${fmt(r)}x`;
      })
      .filter(Boolean)
      .join('; ');
    const spread = c && c.n > 1 ? `${fmt(c.min)} / ${fmt(c.max)}` : '';
    const p99 = c && c.n > 1 ? fmt(c.p99) : '';
    const note = row.note ? ` (${row.note})` : '';
    lines.push(
      `| ${row.benchmark}${note} | ${row.unit} | ${c ? fmt(c.median) : 'failed'} | ${spread} | ${p99} | ${peerText.replace(/\|/g, '/')} | ${ratios} | ${row.target ?? ''} |`,
    );
  }
  return lines.join('\n');
}

/** Peer notes worth printing under the table (errors, published figures). */
export function peerNotes(rows: readonly Row[]): string[] {
  const notes = new Set<string>();
  for (const row of rows)
    for (const [name, p] of Object.entries(row.peers))
      if (p.note && (p.value === null || p.published)) notes.add(`${name}: ${p.note}`);
  return [...notes];
}

/** Busy share of both CPUs over `ms` (all but idle and iowait, from /proc/stat). */
async function busyShare(ms: number): Promise<number> {
  const read = (): [number, number] => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1);
    const n = f.map(Number);
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    return [n.reduce((a, b) => a + b, 0) - idle, idle];
  };
  const [b0, i0] = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const [b1, i1] = read();
  const total = b1 - b0 + (i1 - i0);
  return total > 0 ? (b1 - b0) / total : 0;
}

/**
 * Waits (up to `maxMs`) until the machine is quiet: the busy share of its CPUs over half a second
 * under `threshold`. What one benchmark leaves behind (network namespaces the kernel is still
 * tearing down, a database checkpoint, page cache writeback) would otherwise be measured as part
 * of the next. Returns how long it waited and the last busy share it saw.
 */
export async function settle(
  threshold = 0.2,
  maxMs = 20_000,
): Promise<{ waitedMs: number; busy: number }> {
  const t0 = performance.now();
  let busy = await busyShare(500);
  while (busy >= threshold && performance.now() - t0 < maxMs) busy = await busyShare(500);
  return { waitedMs: Math.round(performance.now() - t0), busy: round(busy) };
}

/**
 * Runs a benchmark module's own entry point (`moduleUrl`, its `import.meta.url`) in a Node process
 * of its own and parses the JSON line it prints last. Undefined when running from sources (tsx):
 * the caller then runs the benchmark in this process.
 */
export function runInOwnProcess<T>(moduleUrl: string, args: readonly string[]): T | undefined {
  const script = fileURLToPath(moduleUrl);
  if (!script.endsWith('.js') || !existsSync(script)) return undefined;
  const out = execFileSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '') as T;
}
