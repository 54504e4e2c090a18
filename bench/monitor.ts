/**
 * Monitoring overhead on a benign, exec-heavy workload: a parallel C build (`make -j2` over ~40
 * generated C files) run inside a throwaway cgroup, with no bpftrace attached versus with the
 * monitor watching that cgroup. Target: under 5% wall time.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../src/events/index.js';
import { Monitor, cgroup2Root } from '../src/monitor/index.js';

export interface MonitorOverheadResult {
  files: number;
  runs: number;
  /** Median wall time of the build without any monitor attached. */
  offMs: number;
  /** Median wall time with the monitor watching the build's cgroup. */
  onMs: number;
  overheadPct: number;
  /** Events the monitor published per monitored build. */
  eventsPerBuild: number;
  offRunsMs: number[];
  onRunsMs: number[];
}

function generateProject(dir: string, files: number): void {
  const objs: string[] = [];
  for (let i = 0; i < files; i++) {
    const body = Array.from(
      { length: 12 },
      (_, j) =>
        `int f${i}_${j}(int x) { int s = 0; for (int k = 0; k < x; k++) s += k * ${j + 1}; return s; }`,
    ).join('\n');
    writeFileSync(join(dir, `m${i}.c`), `#include <stdio.h>\n#include <string.h>\n${body}\n`);
    objs.push(`m${i}.o`);
  }
  writeFileSync(join(dir, 'main.c'), 'int main(void) { return 0; }\n');
  writeFileSync(
    join(dir, 'Makefile'),
    `OBJS = main.o ${objs.join(' ')}\napp: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n%.o: %.c\n\t$(CC) -O1 -c $< -o $@\nclean:\n\trm -f app *.o\n`,
  );
}

function run(argv: string[], procs?: string): Promise<number> {
  const script = procs ? `echo $$ > '${procs}' && exec "$@"` : 'exec "$@"';
  const child = spawn('/bin/sh', ['-c', script, 'sh', ...argv], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? -1));
  });
}

async function timedBuild(dir: string, procs: string): Promise<number> {
  await run(['make', '-s', '-C', dir, 'clean']);
  const start = performance.now();
  const code = await run(['make', '-s', '-j2', '-C', dir], procs);
  if (code !== 0) throw new Error(`build failed with code ${code}`);
  return performance.now() - start;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * Builds the project `runs` times without and with monitoring and compares median wall times.
 * Needs root (cgroups, bpftrace). `short` uses 16 files and 2 runs each.
 * @example const r = await benchMonitorOverhead({ short: true }); console.log(r.overheadPct);
 */
export async function benchMonitorOverhead(
  options: { short?: boolean; runs?: number; files?: number } = {},
): Promise<MonitorOverheadResult> {
  const files = options.files ?? (options.short ? 16 : 40);
  const runs = options.runs ?? (options.short ? 2 : 5);
  const root = cgroup2Root();
  if (!root) throw new Error('no cgroup2 hierarchy');
  const dir = mkdtempSync(join(tmpdir(), 'cordon-bench-monitor-'));
  const cgroup = join(root, `cordon-bench-${process.pid}`);
  mkdirSync(cgroup, { recursive: true });
  const procs = join(cgroup, 'cgroup.procs');
  const bus = new EventBus();
  let events = 0;
  bus.subscribe(() => (events += 1));
  try {
    generateProject(dir, files);
    await timedBuild(dir, procs); // warm the page cache
    const offRunsMs: number[] = [];
    const onRunsMs: number[] = [];
    for (let i = 0; i < runs; i++) offRunsMs.push(await timedBuild(dir, procs));
    const monitor = Monitor.start({ bus });
    const unwatch = await monitor.watch({
      sandboxId: 'bench',
      cgroupProcsPath: procs,
      cpuStatPath: cgroup,
      attribution: () => ({ sandboxId: 'bench' }),
    });
    if (!monitor.coverage().exec.source?.startsWith('ebpf')) {
      throw new Error(`eBPF is not live: ${monitor.coverage().exec.reason ?? ''}`);
    }
    events = 0;
    for (let i = 0; i < runs; i++) onRunsMs.push(await timedBuild(dir, procs));
    await monitor.flush();
    const published = events;
    unwatch();
    await monitor.stop();
    // Off runs on both sides of the monitored ones, so drift in host load hits both equally.
    for (let i = 0; i < runs; i++) offRunsMs.push(await timedBuild(dir, procs));
    const offMs = median(offRunsMs);
    const onMs = median(onRunsMs);
    return {
      files,
      runs,
      offMs: Math.round(offMs),
      onMs: Math.round(onMs),
      overheadPct: Math.round(((onMs - offMs) / offMs) * 1000) / 10,
      eventsPerBuild: Math.round(published / runs),
      offRunsMs: offRunsMs.map(Math.round),
      onRunsMs: onRunsMs.map(Math.round),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    try {
      rmdirSync(cgroup);
    } catch {
      // a straggler: the next run uses another pid
    }
  }
}
