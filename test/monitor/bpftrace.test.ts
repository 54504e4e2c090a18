/**
 * The eBPF monitor against real bpftrace: one bpftrace for the whole file, processes run inside
 * throwaway cgroup2 directories, events asserted on the bus.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  mkdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CordonEvent } from '../../src/events/index.js';
import { EventBus } from '../../src/events/index.js';
import { Monitor, probeMonitor } from '../../src/monitor/index.js';
import type { SandboxMonitor } from '../../src/sandbox/index.js';
import { runSandboxed } from '../../src/sandbox/index.js';
import { collect, isRoot, makeCgroup, runIn } from './helpers.js';

const probe = isRoot ? probeMonitor() : undefined;
const skip = !probe?.ebpf;
const why = probe ? probe.reasons.join('; ') : 'needs root for bpftrace and cgroups';
const helpersBuilt = existsSync(join(import.meta.dirname, '../../native/build/cordon-launch'));

describe.skipIf(skip)(`eBPF monitor (skipped when unavailable: ${why || 'available'})`, () => {
  const bus = new EventBus();
  let monitor: Monitor;
  let sink: ReturnType<typeof collect>;
  let watched: ReturnType<typeof makeCgroup>;
  let other: ReturnType<typeof makeCgroup>;
  let unwatch: () => void;
  let stepId = 'step-1';
  let tmp: string;
  const errors: { message: string }[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'cordon-mon-test-'));
    watched = makeCgroup('watched');
    other = makeCgroup('other');
    sink = collect(bus);
    monitor = Monitor.start({ bus, onError: (e) => errors.push(e) });
    unwatch = await monitor.watch({
      sandboxId: 'sb-watched',
      cgroupProcsPath: watched.procs,
      attribution: () => ({ sandboxId: 'sb-watched', episodeId: 'ep-1', stepId }),
    });
    expect(errors).toEqual([]);
  }, 120_000); // bpftrace compiles for ~2 s of CPU: far longer on a loaded 2-core host

  afterAll(async () => {
    unwatch?.();
    await monitor?.stop();
    sink?.off();
    await watched?.remove();
    await other?.remove();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const ofPid = <K extends CordonEvent['kind']>(kind: K, pid: number) =>
    sink.events.filter(
      (e): e is Extract<CordonEvent, { kind: K }> => e.kind === kind && 'pid' in e && e.pid === pid,
    );

  test('reports eBPF coverage for exec, file, connect and syscall', () => {
    const c = monitor.coverage();
    for (const s of ['exec', 'file', 'connect', 'syscall'] as const) {
      expect(c[s]).toMatchObject({ live: true, source: 'ebpf' });
    }
    expect(c.fd).toMatchObject({ live: true, source: 'ebpf' });
  });

  test('publishes the exec of /bin/true with its argv, attribution and exit code', async () => {
    stepId = 'step-exec';
    const run = await runIn(watched.procs, ['/bin/true', 'hello', 'two\twords']);
    await monitor.flush();
    const execs = ofPid('process.exec', run.pid);
    const exec = execs.find((e) => e.source === 'ebpf');
    expect(exec).toMatchObject({
      sandboxId: 'sb-watched',
      episodeId: 'ep-1',
      stepId: 'step-exec',
      exe: '/bin/true',
      argv: ['/bin/true', 'hello', 'two\twords'],
      uid: 0,
      argv0Mismatch: false,
    });
    expect(exec?.ppid).toBeGreaterThan(0);
    const exit = ofPid('process.exit', run.pid);
    expect(exit[0]?.exitCode).toBe(0);
  });

  test('reports a long argv whole, byte for byte, in a few records; past 4,000 bytes it is cut', async () => {
    const awkward = ['', 'tab\there', 'new\nline', 'lit\\x00eral', 'café', 'x'.repeat(450)];
    const many = Array.from({ length: 60 }, (_, i) => `--flag-${i}`);
    const before = monitor.ebpf!.stats.records;
    const run = await runIn(watched.procs, ['/bin/true', ...awkward, ...many]);
    await monitor.flush();
    const exec = ofPid('process.exec', run.pid).find((e) => e.source === 'ebpf');
    expect(exec?.argv).toEqual(['/bin/true', ...awkward, ...many]);
    // About 1,300 bytes: seven chunks, an exec line, an exit, the sync marker; not 68 args' worth.
    expect(monitor.ebpf!.stats.records - before).toBeLessThan(15);

    const huge = await runIn(watched.procs, ['/bin/true', 'a'.repeat(3000), 'b'.repeat(3000)]);
    await monitor.flush();
    const cut = ofPid('process.exec', huge.pid).find((e) => e.source === 'ebpf')?.argv;
    // 4,000 bytes: "/bin/true\0" (10), 3,000 a's and their NUL, then 989 b's.
    expect(cut).toEqual(['/bin/true', 'a'.repeat(3000), 'b'.repeat(989)]);
  });

  test("tags an exec urgent when its image is not the host's software or its stdio is a network socket", async () => {
    const server = createServer((sock) => sock.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const copy = join(tmp, 'true-copy');
    copyFileSync('/bin/true', copy);
    chmodSync(copy, 0o755);
    const urgentAfter = async (argv: string[]): Promise<number> => {
      await monitor.flush();
      const before = monitor.ebpf!.stats.urgentExecs;
      await runIn(watched.procs, argv);
      await monitor.flush();
      return monitor.ebpf!.stats.urgentExecs - before;
    };
    try {
      expect(await urgentAfter(['/bin/true'])).toBe(0);
      expect(await urgentAfter(['/usr/bin/true'])).toBe(0);
      expect(await urgentAfter([copy])).toBe(1); // a copy of a host binary, under any name
      expect(await urgentAfter(['/usr/../' + copy.slice(1)])).toBe(1); // no way out of /usr
      expect(
        await urgentAfter([
          '/usr/bin/python3',
          '-c',
          `import socket, os; s = socket.create_connection(('127.0.0.1', ${port})); os.dup2(s.fileno(), 0); os.execv('/bin/true', ['true'])`,
        ]),
      ).toBe(1); // python3 is routine, the true it becomes with a socket on stdin is not
    } finally {
      server.close();
    }
  });

  test('reads what stdio is from the kernel at exec: network or unix socket, pipe, /dev/null, file, closed', async () => {
    const server = createServer((sock) => sock.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const file = join(tmp, 'stderr.log');
    try {
      // The execs are gone long before /proc could be read: only the kernel's view can say.
      const reverse = await runIn(watched.procs, [
        '/usr/bin/python3',
        '-c',
        `import socket, os; s = socket.create_connection(('127.0.0.1', ${port})); os.dup2(s.fileno(), 0); r, w = os.pipe(); os.dup2(w, 1); os.close(2); os.execv('/bin/true', ['true', 'reverse'])`,
      ]);
      const local = await runIn(watched.procs, [
        '/usr/bin/python3',
        '-c',
        `import socket, os; a, b = socket.socketpair(); os.dup2(a.fileno(), 0); os.dup2(os.open('/dev/null', os.O_WRONLY), 1); os.dup2(os.open('${file}', os.O_WRONLY | os.O_CREAT), 2); os.execv('/bin/true', ['true', 'local'])`,
      ]);
      await monitor.flush();
      const stdioOf = (pid: number, arg: string) =>
        ofPid('process.exec', pid).find((e) => e.source === 'ebpf' && e.argv[1] === arg)?.stdio;
      expect(stdioOf(reverse.pid, 'reverse')).toEqual({
        stdin: 'socket',
        stdout: 'pipe',
        stderr: 'none',
      });
      expect(stdioOf(local.pid, 'local')).toEqual({
        stdin: 'unix',
        stdout: 'null',
        stderr: 'file',
      });
    } finally {
      server.close();
    }
  });

  test('reports a network socket put on stdio without an exec at once, by any way in, and each turn once', async () => {
    const server = createServer((sock) => sock.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    // Each step marks itself with a write to a pipe the test reads, so events can be tied to it.
    const script = `
import os, socket, time
def step(name):
    os.write(3, (name + '\\n').encode()); time.sleep(0.3)
s = socket.create_connection(('127.0.0.1', ${port}))
a, b = socket.socketpair()
os.dup2(a.fileno(), 0); step('unix')               # a unix socket: not a reverse shell
os.dup2(s.fileno(), 0); step('dup2')               # fd 0 turns into a TCP socket
os.dup(s.fileno()); os.dup2(s.fileno(), 0); step('again')  # nothing new on 0..2
os.close(1); t = socket.socket(); step('socket')   # a new socket lands on fd 1
os.close(2); socket.send_fds(a, [b'x'], [s.fileno()]); socket.recv_fds(b, 1, 1); step('received')
time.sleep(30)
`;
    const child = spawn(
      '/bin/sh',
      ['-c', `echo $$ > '${watched.procs}' && exec /usr/bin/python3 -c "$0"`, script],
      {
        stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      },
    );
    const steps: string[] = [];
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      steps.push(...d.toString().split('\n').filter(Boolean));
    });
    const turns = () =>
      ofPid('process.exec', child.pid!)
        .filter((e) => e.source === 'ebpf' && e.argv[0] === '/usr/bin/python3')
        .map((e) => e.stdio);
    try {
      for (let i = 0; i < 200 && (!steps.includes('received') || turns().length < 4); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(steps).toEqual(['unix', 'dup2', 'again', 'socket', 'received']);
      expect(turns()).toEqual([
        { stdin: 'null', stdout: 'null', stderr: 'null' }, // the exec
        { stdin: 'socket', stdout: 'null', stderr: 'null' }, // dup2 (the unix socket was not one)
        { stdin: 'socket', stdout: 'socket', stderr: 'null' }, // socket(), landing on fd 1
        { stdin: 'socket', stdout: 'socket', stderr: 'socket' }, // received over SCM_RIGHTS
      ]);
      // Seen while the process still runs, with no flush: the kernel reported each turn itself.
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
      server.close();
    }
  });

  test('reports the argv of the exec that succeeded, not of the failed attempts of a PATH search', async () => {
    const records = monitor.ebpf!.stats.records;
    const run = await runIn(watched.procs, [
      '/bin/sh',
      '-c',
      'PATH=/nonexistent-a:/nonexistent-b:/bin; exec true searched "two words"',
    ]);
    await monitor.flush();
    const exec = ofPid('process.exec', run.pid).filter((e) => e.source === 'ebpf');
    expect(exec.map((e) => e.argv)).toEqual([
      ['/bin/sh', '-c', expect.stringContaining('PATH=') as string],
      ['true', 'searched', 'two words'],
    ]);
    expect(exec[1]).toMatchObject({ exe: '/bin/true', argv0Mismatch: false });
    // Two execs, their argv (a chunk each), one exit, the sync marker's: no line per failed attempt.
    expect(monitor.ebpf!.stats.records - records).toBeLessThan(9);
  });

  test('names the directory each exec ran in, for processes already gone too, and not one a process moved to later', async () => {
    const work = join(tmp, 'work dir');
    mkdirSync(work);
    // sh stays in `work` through the first sleep, long enough for its lines to be handled: the
    // two short-lived trues share its directory; then it moves to / and execs again, and that
    // image too lives long enough to be asked (lines wait up to 200 ms, longer under load).
    const run = await runIn(
      watched.procs,
      ['/bin/sh', '-c', '/bin/true; /bin/true; sleep 2; cd /; exec /bin/sleep 2'],
      { cwd: work },
    );
    await monitor.flush();
    const execs = sink.events.filter(
      (e): e is Extract<CordonEvent, { kind: 'process.exec' }> =>
        e.kind === 'process.exec' &&
        e.source === 'ebpf' &&
        e.ppid !== undefined &&
        (e.pid === run.pid || e.ppid === run.pid),
    );
    expect(execs.map((e) => [e.argv[0], e.cwd])).toEqual([
      ['/bin/sh', work],
      ['/bin/true', work],
      ['/bin/true', work],
      ['sleep', work],
      ['/bin/sleep', '/'],
    ]);

    // Here sh moves at once, before its exec is handled: its directory is then unknown (or, read
    // in time, the right one), never the one it moved to. The true it runs from there is gone
    // when its line is handled, and named by its parent, still there (a directory not seen yet).
    const other = join(tmp, 'other dir');
    const there = join(tmp, 'moved to');
    mkdirSync(other);
    mkdirSync(there);
    const moved = await runIn(
      watched.procs,
      ['/bin/sh', '-c', 'cd "$0"; /bin/true; exec /bin/sleep 2', there],
      { cwd: other },
    );
    await monitor.flush();
    const [sh, sleep] = ofPid('process.exec', moved.pid).filter((e) => e.source === 'ebpf');
    expect(sh?.argv[0]).toBe('/bin/sh');
    expect([other, undefined]).toContain(sh?.cwd);
    expect(sleep).toMatchObject({ exe: '/bin/sleep', cwd: there });
    const child = sink.events.find(
      (e): e is Extract<CordonEvent, { kind: 'process.exec' }> =>
        e.kind === 'process.exec' && e.source === 'ebpf' && e.ppid === moved.pid,
    );
    expect(child).toMatchObject({ exe: '/bin/true', cwd: there });
  });

  test('reports a #! script with the argv it was run with, its interpreter argument left out', async () => {
    const plain = join(tmp, 'plain.sh');
    const withArg = join(tmp, 'with-arg.sh');
    writeFileSync(plain, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(withArg, '#!/bin/sh -e\nexit 0\n', { mode: 0o755 });
    const a = await runIn(watched.procs, [plain, 'one', 'two']);
    const b = await runIn(watched.procs, [withArg, 'three']);
    await monitor.flush();
    expect(ofPid('process.exec', a.pid).find((e) => e.source === 'ebpf')).toMatchObject({
      exe: plain,
      argv: [plain, 'one', 'two'],
      argv0Mismatch: false,
    });
    expect(ofPid('process.exec', b.pid).find((e) => e.source === 'ebpf')).toMatchObject({
      exe: withArg,
      argv: [withArg, 'three'],
      argv0Mismatch: false,
    });
  });

  test('attributes each exec to the step current at that moment', async () => {
    stepId = 'step-a';
    const a = await runIn(watched.procs, ['/bin/true', 'a']);
    // A step boundary: the sandbox drains the monitor before it publishes one (read batches would
    // otherwise give 'a' to step-b).
    monitor.drain();
    stepId = 'step-b';
    const b = await runIn(watched.procs, ['/bin/sh', '-c', 'exit 3']);
    await monitor.flush();
    expect(ofPid('process.exec', a.pid)[0]?.stepId).toBe('step-a');
    expect(ofPid('process.exec', b.pid)[0]?.stepId).toBe('step-b');
    expect(ofPid('process.exit', b.pid)[0]?.exitCode).toBe(3);
  });

  test('reports opens of sensitive paths, failed ones included, and not ordinary files', async () => {
    const home = join(tmp, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'id_ed25519'), 'not a key');
    writeFileSync(join(home, 'notes.txt'), 'plain');
    const ok = await runIn(watched.procs, ['/bin/cat', join(home, '.ssh', 'id_ed25519')]);
    const missing = await runIn(watched.procs, ['/bin/cat', join(home, '.aws', 'credentials')]);
    const plain = await runIn(watched.procs, ['/bin/cat', join(home, 'notes.txt')]);
    await monitor.flush();
    const okOpen = ofPid('file.access', ok.pid);
    expect(okOpen).toContainEqual(
      expect.objectContaining({ path: join(home, '.ssh', 'id_ed25519'), op: 'open', result: 0 }),
    );
    expect(okOpen[0]?.exe).toBe('/bin/cat');
    expect(ofPid('file.access', missing.pid)).toContainEqual(
      expect.objectContaining({ path: join(home, '.aws', 'credentials'), result: -2 }),
    );
    expect(ofPid('file.access', plain.pid)).toEqual([]);
  });

  test('reports a connect to 127.0.0.1 on a closed port with its address, port and refusal', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const run = await runIn(watched.procs, [
      '/bin/bash',
      '-c',
      `exec 3<>/dev/tcp/127.0.0.1/${port} || true`,
    ]);
    await monitor.flush();
    const connects = ofPid('syscall', run.pid).filter((e) => e.syscall === 'connect');
    expect(connects).toContainEqual(
      expect.objectContaining({
        args: { family: 'inet', address: '127.0.0.1', port, result: -111 },
        denied: false,
      }),
    );
  });

  test('reports kill with the target and signal, and chmod +x', async () => {
    const file = join(tmp, 'dropped');
    writeFileSync(file, '#!/bin/sh\n');
    const run = await runIn(watched.procs, ['/bin/sh', '-c', `kill -0 $$; chmod +x ${file}`]);
    await monitor.flush();
    const all = sink.events.filter((e) => e.sandboxId === 'sb-watched');
    expect(ofPid('syscall', run.pid)).toContainEqual(
      expect.objectContaining({ syscall: 'kill', args: { targetPid: run.pid, signal: 0 } }),
    );
    expect(all).toContainEqual(
      expect.objectContaining({ kind: 'file.access', path: file, op: 'chmod', result: 0 }),
    );
  });

  test('publishes nothing for processes outside the watched cgroup', async () => {
    const before = sink.events.length;
    const inOther = await runIn(other.procs, ['/bin/cat', '/etc/shadow']);
    const onHost = await runIn(null, ['/bin/cat', '/etc/shadow']);
    const control = await runIn(watched.procs, ['/bin/true', 'control']);
    await monitor.flush();
    const fresh = sink.events.slice(before);
    expect(fresh.some((e) => 'pid' in e && e.pid === control.pid)).toBe(true);
    expect(
      fresh.filter((e) => 'pid' in e && (e.pid === inOther.pid || e.pid === onHost.pid)),
    ).toEqual([]);
    expect(fresh.every((e) => e.sandboxId === 'sb-watched')).toBe(true);
  });

  test.skipIf(!helpersBuilt)(
    'watches a real sandbox: agent events carry its step, bubblewrap setup is left out (needs native helpers)',
    async () => {
      const hook: SandboxMonitor = monitor; // the sandbox layer's hook type accepts the monitor
      const before = sink.events.length;
      const result = await runSandboxed(
        ['/bin/sh', '-c', 'cat /etc/shadow; /bin/true in-sandbox'],
        {
          bus,
          monitor: hook,
          stepId: 'step-sandbox',
          capture: true,
        },
      );
      await monitor.flush();
      expect(result.exitCode).toBe(0);
      const fresh = sink.events.slice(before).filter((e) => e.sandboxId === result.sandboxId);
      const exec = fresh.find(
        (e) => e.kind === 'process.exec' && e.source === 'ebpf' && e.argv.includes('in-sandbox'),
      );
      expect(exec).toMatchObject({ exe: '/bin/true', stepId: 'step-sandbox' });
      // bwrap mounts dozens of paths before the init runs: none of that is the agent's.
      expect(fresh.filter((e) => e.kind === 'syscall' && e.syscall === 'mount')).toEqual([]);
      expect(fresh.some((e) => e.kind === 'process.exec' && e.exe.endsWith('/bwrap'))).toBe(false);
    },
    60_000,
  );

  test('the kernel passes on nothing from an unwatched cgroup', async () => {
    await monitor.flush();
    const before = monitor.ebpf!.stats.records;
    for (let i = 0; i < 5; i++) await runIn(other.procs, ['/bin/cat', '/etc/hostname']);
    await monitor.flush();
    expect(monitor.ebpf!.stats.records - before).toBe(0);
  });

  test('read-only opens under /usr are dropped in the kernel, a /usr/.. path to a secret is not', async () => {
    const home = join(tmp, 'home2');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'id_rsa'), 'not a key');
    const many = Array.from({ length: 200 }, () => '/usr/share/common-licenses/GPL-3');
    await monitor.flush();
    const before = monitor.ebpf!.stats.records;
    const bulk = await runIn(watched.procs, ['/bin/cat', ...many], { stdout: 'ignore' });
    await monitor.flush();
    expect(bulk.code).toBe(0);
    // exec, its argv (20 chunks at most), the loader's few opens, exit: far fewer than 200 opens.
    expect(monitor.ebpf!.stats.records - before).toBeLessThan(60);
    const sneaky = `/usr/..${join(home, '.ssh', 'id_rsa')}`;
    const run = await runIn(watched.procs, ['/bin/cat', sneaky], { stdout: 'ignore' });
    await monitor.flush();
    expect(ofPid('file.access', run.pid)).toContainEqual(
      expect.objectContaining({ path: sneaky, op: 'open', result: 0 }),
    );
  });

  test('opens of build artefacts are dropped in the kernel; a failed one and a directory so named are not', async () => {
    const project = join(tmp, 'project');
    const ssh = join(tmp, 'home3', '.ssh');
    mkdirSync(project, { recursive: true });
    mkdirSync(join(ssh, 'keys.d'), { recursive: true });
    writeFileSync(join(project, 'm0.o'), 'object');
    // A C build's traffic: an object read 200 times, by a relative path, and written once.
    const many = Array.from({ length: 200 }, () => 'm0.o');
    await monitor.flush();
    const before = monitor.ebpf!.stats.records;
    const bulk = await runIn(watched.procs, [
      '/bin/sh',
      '-c',
      `cd ${project} && cat "$@" > /dev/null && echo x > m1.s`,
      'sh',
      ...many,
    ]);
    await monitor.flush();
    expect(bulk.code).toBe(0);
    expect(monitor.ebpf!.stats.records - before).toBeLessThan(60);
    // Under a sensitive directory the rule still sees what is not a regular file, or failed.
    const missing = await runIn(watched.procs, ['/bin/cat', join(ssh, 'missing.c')]);
    const dir = await runIn(watched.procs, ['/bin/cat', join(ssh, 'keys.d')]);
    await monitor.flush();
    expect(ofPid('file.access', missing.pid)).toContainEqual(
      expect.objectContaining({ path: join(ssh, 'missing.c'), op: 'open', result: -2 }),
    );
    expect(ofPid('file.access', dir.pid)).toContainEqual(
      expect.objectContaining({ path: join(ssh, 'keys.d'), op: 'open', result: 0 }),
    );
  });

  // Last: after a crash every sandbox also falls back to the /proc sampler's full mode.
  test('a crash of bpftrace turns coverage off with the reason, calls onError, and restarts once', async () => {
    const pid = monitor.ebpf?.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const until = Date.now() + 5000;
    while (errors.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(errors[0]?.message).toMatch(/bpftrace exited \(SIGKILL\)/);
    expect(monitor.coverage().file).toMatchObject({ live: false });
    expect(monitor.coverage().exec).toMatchObject({ live: true, source: 'proc' });
    await monitor.ready();
    expect(monitor.coverage().file).toMatchObject({ live: true, source: 'ebpf' });
    expect(monitor.ebpf?.pid).not.toBe(pid);
    const run = await runIn(watched.procs, ['/bin/true', 'after-restart']);
    await monitor.flush();
    expect(
      ofPid('process.exec', run.pid).some(
        (e) => e.source === 'ebpf' && e.argv[1] === 'after-restart',
      ),
    ).toBe(true);
  }, 120_000);
});
