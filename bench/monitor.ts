/**
 * Monitoring overhead on a benign, exec-heavy workload: a parallel C build (`make -j2` over ~40
 * generated C files) run inside a throwaway cgroup, with no bpftrace attached versus with the
 * monitor watching that cgroup. Target: under 5% wall time. Off and on runs alternate (the
 * monitor starts and stops around each monitored build), and the overhead is the median over
 * those pairs of each monitored build against the unmonitored one just before it: a shared host's
 * load drifts over a run, and a pair's two builds see nearly the same load where the medians of
 * all off and all on builds do not. The CPU the monitoring added (build cgroup, bpftrace, this
 * process) is reported too, as wall time on a loaded 2-core host is noisy.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
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
  /** Median over the (off, on) pairs of on / off - 1, in percent. */
  overheadPct: number;
  /** onMs / offMs - 1, in percent: the same runs compared as two groups. */
  overheadOfMediansPct: number;
  /** Events the monitor published per monitored build. */
  eventsPerBuild: number;
  /** Lines bpftrace printed per monitored build (what cordon reads and parses). */
  linesPerBuild: number;
  offRunsMs: number[];
  onRunsMs: number[];
  /** Median CPU ms per build: the build's cgroup, with monitoring off and on. */
  buildCpuOffMs: number;
  buildCpuOnMs: number;
  /** Median CPU ms per monitored build spent by bpftrace and by this (cordon's) process. */
  bpftraceCpuMs: number;
  cordonCpuMs: number;
  /** Median CPU ms this process spends per unmonitored build (starting make and waiting). */
  cordonCpuOffMs: number;
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

/** CPU ms of a cgroup2 directory so far. */
function cgroupCpuMs(dir: string): number {
  const usec = /^usage_usec (\d+)/m.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))?.[1];
  return Number(usec ?? 0) / 1000;
}

/** CPU ms of a process so far (0 when gone). */
function pidCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms
  } catch {
    return 0;
  }
}

/**
 * Waits (up to 10 s) until a process is gone. A stopped monitor's bpftrace takes over a second to
 * die (the kernel detaches its tracepoints one grace period at a time), and the next unmonitored
 * build must not share the host with it.
 */
async function gone(pid: number | undefined): Promise<void> {
  for (let i = 0; i < 500 && pid !== undefined && existsSync(`/proc/${pid}`); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

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
  const runs = options.runs ?? (options.short ? 2 : 15);
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
    const cpu = { buildOff: [] as number[], buildOn: [] as number[], bpf: [] as number[] };
    const own = { off: [] as number[], on: [] as number[] };
    let lines = 0;
    for (let i = 0; i < runs; i++) {
      let before = cgroupCpuMs(cgroup);
      let ownBefore = ownCpuMs();
      offRunsMs.push(await timedBuild(dir, procs));
      cpu.buildOff.push(cgroupCpuMs(cgroup) - before);
      own.off.push(ownCpuMs() - ownBefore);

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
      const bpfPid = monitor.ebpf?.pid;
      before = cgroupCpuMs(cgroup);
      const bpfBefore = pidCpuMs(bpfPid);
      ownBefore = ownCpuMs();
      const linesBefore = monitor.ebpf?.stats.lines ?? 0;
      onRunsMs.push(await timedBuild(dir, procs));
      cpu.buildOn.push(cgroupCpuMs(cgroup) - before);
      // After the flush: lines read later than the build's end (a batch held back) count too.
      await monitor.flush();
      cpu.bpf.push(pidCpuMs(bpfPid) - bpfBefore);
      own.on.push(ownCpuMs() - ownBefore);
      lines += (monitor.ebpf?.stats.lines ?? 0) - linesBefore;
      unwatch();
      await monitor.stop();
      await gone(bpfPid);
    }
    const offMs = median(offRunsMs);
    const onMs = median(onRunsMs);
    const pct = (x: number): number => Math.round(x * 1000) / 10;
    return {
      files,
      runs,
      offMs: Math.round(offMs),
      onMs: Math.round(onMs),
      overheadPct: pct(median(onRunsMs.map((on, i) => on / offRunsMs[i]! - 1))),
      overheadOfMediansPct: pct(onMs / offMs - 1),
      eventsPerBuild: Math.round(events / runs),
      linesPerBuild: Math.round(lines / runs),
      offRunsMs: offRunsMs.map(Math.round),
      onRunsMs: onRunsMs.map(Math.round),
      buildCpuOffMs: Math.round(median(cpu.buildOff)),
      buildCpuOnMs: Math.round(median(cpu.buildOn)),
      bpftraceCpuMs: Math.round(median(cpu.bpf)),
      cordonCpuMs: Math.round(median(own.on)),
      cordonCpuOffMs: Math.round(median(own.off)),
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
