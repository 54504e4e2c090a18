/**
 * The /proc sampler and the cgroup CPU sampler against real processes in a throwaway cgroup2
 * directory, and the monitor's coverage when eBPF is not used.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { ProcessExecEvent, ResourceSampleEvent } from '../../src/events/index.js';
import { EventBus } from '../../src/events/index.js';
import { CpuSampler, Monitor, ProcSampler, cgroup2Root } from '../../src/monitor/index.js';
import { collect, isRoot, makeCgroup } from './helpers.js';

const skip = !isRoot || !cgroup2Root();

/** Starts `sh -c script` inside the cgroup with the given stdio. */
function startIn(
  procs: string,
  script: string,
  stdio: (Socket | 'ignore' | 'pipe')[],
): ChildProcess {
  return spawn('/bin/sh', ['-c', `echo $$ > '${procs}'; ${script}`], {
    stdio: stdio,
  });
}

describe.skipIf(skip)('proc sampler (needs root and a cgroup2 hierarchy)', () => {
  let server: Server;
  let port: number;
  const children: ChildProcess[] = [];
  const sockets: Socket[] = [];
  let cg: ReturnType<typeof makeCgroup>;

  beforeAll(async () => {
    server = createServer((s) => s.on('error', () => undefined).resume());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
    for (const s of sockets.splice(0)) s.destroy();
    await cg?.remove();
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const tcpSocket = async (): Promise<Socket> => {
    const s = connect(port, '127.0.0.1');
    sockets.push(s);
    await new Promise<void>((r) => s.once('connect', () => r()));
    return s;
  };
  const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  };

  test('reports a process whose stdout is a TCP socket as such, and a node pipe as unix', async () => {
    cg = makeCgroup('proc-full');
    const bus = new EventBus();
    const sink = collect(bus);
    const viaTcp = startIn(cg.procs, 'exec sleep 5', ['ignore', await tcpSocket(), 'ignore']);
    const viaPipe = startIn(cg.procs, 'exec sleep 5', ['ignore', 'pipe', 'ignore']);
    children.push(viaTcp, viaPipe);
    const sampler = new ProcSampler({ bus, intervalMs: 50 });
    const off = sampler.watch({
      sandboxId: 'sb-proc',
      cgroupProcsPath: cg.procs,
      attribution: () => ({ sandboxId: 'sb-proc', stepId: 's1' }),
    });
    const execOf = (pid: number | undefined) =>
      sink.events.find(
        (e): e is ProcessExecEvent =>
          e.kind === 'process.exec' && e.pid === pid && e.exe.endsWith('/sleep'),
      );
    await until(() => !!execOf(viaTcp.pid) && !!execOf(viaPipe.pid));
    off();
    sink.off();
    expect(execOf(viaTcp.pid)).toMatchObject({
      source: 'proc',
      argv: ['sleep', '5'],
      stdio: { stdin: 'null', stdout: 'socket', stderr: 'null' },
      sandboxId: 'sb-proc',
      stepId: 's1',
      argv0Mismatch: false,
    });
    expect(execOf(viaPipe.pid)?.stdio?.stdout).toBe('unix');
  });

  test('reports a shell whose stdout turns into a TCP socket after it started', async () => {
    cg = makeCgroup('proc-turn');
    const bus = new EventBus();
    const sink = collect(bus);
    const shell = spawn(
      '/bin/bash',
      ['-c', `echo $$ > '${cg.procs}'; sleep 0.4; exec 1<>/dev/tcp/127.0.0.1/${port}; sleep 5`],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    children.push(shell);
    const sampler = new ProcSampler({ bus, intervalMs: 50 });
    await until(() => cgroupHas(cg.procs, shell.pid));
    const off = sampler.watch({
      sandboxId: 'sb-turn',
      cgroupProcsPath: cg.procs,
      attribution: () => ({ sandboxId: 'sb-turn' }),
    });
    const execs = () =>
      sink.events.filter(
        (e): e is ProcessExecEvent => e.kind === 'process.exec' && e.pid === shell.pid,
      );
    await until(() => execs().some((e) => e.stdio?.stdout === 'socket'));
    off();
    sink.off();
    // First as it was (stdout /dev/null), then again once stdout is the socket.
    expect(execs()[0]?.stdio?.stdout).toBe('null');
    expect(execs().find((e) => e.stdio?.stdout === 'socket')).toMatchObject({ source: 'proc' });
  });

  test('idle mode reads nothing until eBPF is gone; then full mode reports what runs', async () => {
    cg = makeCgroup('proc-idle');
    const bus = new EventBus();
    const sink = collect(bus);
    const shell = startIn(cg.procs, 'sleep 5', ['ignore', 'ignore', 'ignore']);
    children.push(shell);
    await until(() => cgroupHas(cg.procs, shell.pid));
    const sampler = new ProcSampler({ bus, intervalMs: 50 });
    const off = sampler.watch({
      sandboxId: 'sb-idle',
      cgroupProcsPath: cg.procs,
      attribution: () => ({ sandboxId: 'sb-idle' }),
      mode: 'idle',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.events).toEqual([]);
    sampler.setMode('full');
    await until(() => sink.events.some((e) => e.kind === 'process.exec' && e.pid === shell.pid));
    off();
    sink.off();
  });

  test('samples cgroup CPU over the window and carries the afterCommand flag', async () => {
    cg = makeCgroup('cpu');
    const bus = new EventBus();
    const busy = startIn(cg.procs, 'while :; do :; done', ['ignore', 'ignore', 'ignore']);
    children.push(busy);
    await until(() => cgroupHas(cg.procs, busy.pid));
    const sampler = new CpuSampler({ bus, intervalMs: 60_000 });
    const off = sampler.watch({
      sandboxId: 'sb-cpu',
      cpuStatPath: cg.dir,
      cgroupProcsPath: cg.procs,
      attribution: () => ({ sandboxId: 'sb-cpu' }),
    });
    await new Promise((r) => setTimeout(r, 600));
    sampler.setAfterCommand('sb-cpu', true);
    const sample = sampler.sample('sb-cpu') as ResourceSampleEvent;
    off();
    expect(sample.kind).toBe('resource.sample');
    expect(sample.cpuMs).toBeGreaterThan(30);
    expect(sample.cpuCores).toBeGreaterThan(0.05);
    expect(sample.cpuCores).toBeLessThanOrEqual(2.1);
    expect(sample.pids).toBe(1);
    expect(sample.afterCommand).toBe(true);
  });

  test('a monitor without eBPF says which signals are off and samples execs from /proc', async () => {
    cg = makeCgroup('mon-proc');
    const bus = new EventBus();
    const sink = collect(bus);
    const monitor = Monitor.start({ bus, prefer: 'proc', procIntervalMs: 50 });
    const off = await monitor.watch({
      sandboxId: 'sb-mon',
      cgroupProcsPath: cg.procs,
      cpuStatPath: cg.dir,
      attribution: () => ({ sandboxId: 'sb-mon' }),
    });
    const child = startIn(cg.procs, 'exec sleep 3', ['ignore', 'ignore', 'ignore']);
    children.push(child);
    await until(() => sink.events.some((e) => e.kind === 'process.exec' && e.pid === child.pid));
    const coverage = monitor.coverage();
    off();
    await monitor.stop();
    sink.off();
    expect(coverage.exec).toMatchObject({ live: true, source: 'proc' });
    expect(coverage.file.live).toBe(false);
    expect(coverage.file.reason).toMatch(/eBPF/);
    expect(coverage.connect.live).toBe(false);
    expect(coverage.cpu).toMatchObject({ live: true, source: 'cgroup' });
    expect(sink.events.some((e) => e.kind === 'process.exec' && e.pid === child.pid)).toBe(true);
  });
});

function cgroupHas(procs: string, pid: number | undefined): boolean {
  try {
    return readFileSync(procs, 'utf8').split('\n').includes(String(pid));
  } catch {
    return false;
  }
}
