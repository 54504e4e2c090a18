/**
 * cordon-init under real bubblewrap: the seccomp filter denies and reports, ordinary programs run,
 * exit codes and signals pass through, and server mode runs execs exactly and fast.
 * bwrap --unshare-all makes a network namespace: these run only inside scripts/isolated.sh.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  encodeExec,
  FrameDecoder,
  InitClient,
  type InitEvent,
  type InitFrame,
} from '../../src/sandbox/init-protocol.js';
import {
  BWRAP_ARGS,
  buildHelpers,
  collectEvents,
  hasBwrap,
  isolated,
  runOneShot,
  sleepMs,
  waitFor,
  waitGone,
} from './helpers.js';

const skip = !hasBwrap || !isolated;
const why = !hasBwrap
  ? 'bubblewrap is not installed'
  : 'creates namespaces: run under scripts/isolated.sh (CORDON_ISOLATED=1)';

let init = '';
let dir = '';
let probe = '';

beforeAll(() => {
  if (skip) return;
  init = buildHelpers().init;
  dir = mkdtempSync(join(tmpdir(), 'cordon-init-test-'));
  probe = join(dir, 'probe');
  execFileSync('gcc', ['-O1', '-pthread', '-o', probe, join(import.meta.dirname, 'probe.c')]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const denials = (events: InitEvent[]) =>
  events.filter(
    (e): e is Extract<InitEvent, { type: 'syscall_denied' }> => e.type === 'syscall_denied',
  );

// One retry: in about one full CI run in five, a case here saw a run with no output and no
// denial (three cases in two runs so far, all running test/native/probe under load; never alone,
// in 25 runs of this file nor 150 of the probe). The filter is deterministic, so a real fault
// fails the retry too; runOneShot prints any run that did not end with init's exit event, so the
// cause shows.
describe.skipIf(skip)(`cordon-init one-shot (${skip ? why : 'bwrap'})`, { retry: 1 }, () => {
  test('reports ready with seccomp notify, then the exit', async () => {
    const r = await runOneShot(init, ['true']);
    expect(r.code).toBe(0);
    expect(r.events[0]).toEqual({ type: 'ready', seccomp: 'notify' });
    expect(r.events.at(-1)).toMatchObject({ type: 'exit', code: 0, signal: null, lingering: 0 });
  });

  test('denies `unshare -U` with EPERM and reports the syscall and exe', async () => {
    const r = await runOneShot(init, ['unshare', '-U', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Operation not permitted/);
    expect(denials(r.events)).toEqual([
      expect.objectContaining({
        syscall: 'unshare',
        exe: '/usr/bin/unshare',
        argv: ['unshare', '-U', 'true'],
      }),
    ]);
  });

  test('denies `mount -t tmpfs` and reports it', async () => {
    const r = await runOneShot(init, ['mount', '-t', 'tmpfs', 'x', '/mnt']);
    expect(r.code).not.toBe(0);
    const [event] = denials(r.events);
    expect(event).toMatchObject({
      syscall: 'mount',
      exe: '/usr/bin/mount',
      argv: ['mount', '-t', 'tmpfs', 'x', '/mnt'],
    });
    expect(event!.ts).toBeGreaterThan(Date.now() - 60_000);
  });

  test.each([
    ['unshare', 'unshare'],
    ['mount', 'mount'],
    ['ptrace', 'ptrace'],
    ['setns', 'setns'],
    ['bpf', 'bpf'],
    ['keyctl', 'keyctl'],
    ['io_uring_setup', 'io_uring_setup'],
    ['pidfd_getfd', 'pidfd_getfd'],
    ['ioctl_tiocsti', 'ioctl'],
    ['clone_newnet', 'clone'],
  ])('probe %s gets EPERM and a syscall_denied naming %s', async (what, syscall) => {
    const r = await runOneShot(init, [probe, what]);
    // The whole outcome on a failure: one CI run saw no output at all, unexplained.
    const { code, signal, stderr, events } = r;
    expect({ stdout: r.stdout.trim(), code, signal, stderr, events }).toMatchObject({
      stdout: 'EPERM',
      code: 0,
    });
    expect(denials(r.events)).toEqual([expect.objectContaining({ syscall, exe: probe })]);
  });

  test('escapes argv as JSON (quotes, newlines, invalid UTF-8) and caps it at 32 entries', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `x${i}`);
    const script = `exec "$0" mount 'a"b\\c' "$(printf 'new\\nline')" "$(printf '\\377')" é "$@"`;
    const r = await runOneShot(init, ['sh', '-c', script, probe, ...many]);
    const [event] = denials(r.events);
    // The whole outcome on a failure (see the probe cases above).
    const { code, signal, stdout, stderr, events } = r;
    expect({ code, signal, stdout, stderr, events, denied: !!event }).toMatchObject({
      denied: true,
    });
    expect(event!.argv.slice(0, 6)).toEqual([probe, 'mount', 'a"b\\c', 'new\nline', '\ufffd', 'é']);
    expect(event!.argv).toHaveLength(32);
  });

  test('clone3 gets ENOSYS (unreported); plain clone and threads work', async () => {
    const r3 = await runOneShot(init, [probe, 'clone3']);
    expect(r3.stdout.trim()).toBe('ENOSYS');
    const rc = await runOneShot(init, [probe, 'clone_plain']);
    expect(rc.stdout.trim()).toBe('ok');
    const rt = await runOneShot(init, [probe, 'threads']);
    expect(rt.stdout.trim()).toBe('threads 56');
    expect(denials([...r3.events, ...rc.events, ...rt.events])).toEqual([]);
  });

  test('ordinary programs work: sh, python3 with threads, a gcc compile and its program', async () => {
    const src = join(dir, 'hello.c');
    writeFileSync(src, '#include <stdio.h>\nint main(void){puts("hello from gcc");return 0;}\n');
    const script = [
      'echo sh-ok',
      `python3 -c 'import threading; t=[threading.Thread(target=lambda: None) for _ in range(4)]; [x.start() for x in t]; [x.join() for x in t]; print("py-ok")'`,
      `gcc -o ${dir}/hello ${src} && ${dir}/hello`,
    ].join(' && ');
    const r = await runOneShot(init, ['sh', '-c', script], {
      extraBwrap: ['--tmpfs', '/tmp', '--bind', dir, dir],
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('sh-ok\npy-ok\nhello from gcc\n');
    expect(r.code).toBe(0);
    expect(denials(r.events)).toEqual([]);
  });

  test('passes exit codes and signals through, to the event and to bwrap', async () => {
    const coded = await runOneShot(init, ['sh', '-c', 'exit 7']);
    expect(coded.code).toBe(7);
    expect(coded.events.at(-1)).toMatchObject({ type: 'exit', code: 7, signal: null });
    const killed = await runOneShot(init, ['sh', '-c', 'kill -9 $$']);
    expect(killed.code).toBe(137);
    expect(killed.events.at(-1)).toMatchObject({ type: 'exit', code: null, signal: 'SIGKILL' });
  });

  test('forwards SIGTERM to the command and counts lingering processes', async () => {
    const marker = `31.${process.pid}7`;
    const r = await runOneShot(init, [
      'sh',
      '-c',
      `sleep ${marker} & kill -TERM 1; sleep ${marker}`,
    ]);
    expect(r.events.at(-1)).toMatchObject({ type: 'exit', code: null, signal: 'SIGTERM' });
    expect((r.events.at(-1) as { lingering: number }).lingering).toBeGreaterThanOrEqual(1);
    expect(r.code).toBe(128 + 15);
    expect(await waitGone(marker)).toEqual([]); // the namespace died with its init
  });

  test('exec failure: 127 for a missing program, 126 for a non-executable one', async () => {
    const missing = await runOneShot(init, ['/nonexistent/prog']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/cordon-init: \/nonexistent\/prog: No such file/);
    const plain = join(dir, 'not-executable');
    writeFileSync(plain, 'data');
    chmodSync(plain, 0o644);
    const denied = await runOneShot(init, [plain]);
    expect(denied.code).toBe(126);
  });

  test('without --events it still denies, silently', async () => {
    const r = await runOneShot(init, [probe, 'mount'], { initArgs: [] });
    expect(r.stdout.trim()).toBe('EPERM');
    expect(r.events).toEqual([]);
  });

  test('--no-seccomp reports off and installs nothing', async () => {
    const r = await runOneShot(init, [probe, 'clone3'], {
      initArgs: ['--events', '3', '--no-seccomp'],
    });
    expect(r.events[0]).toEqual({ type: 'ready', seccomp: 'off' });
    expect(r.stdout.trim()).toBe('ok');
  });
});

interface Server {
  child: ChildProcess;
  client: InitClient;
  events: InitEvent[];
  exited: Promise<number | null>;
}

function startServer(): Server {
  const child = spawn('bwrap', [...BWRAP_ARGS, init, '--events', '3', '--control', '4'], {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'],
  });
  const events: InitEvent[] = [];
  collectEvents(child.stdio[3] as NodeJS.ReadableStream, events);
  const client = new InitClient(child.stdio[4] as Duplex);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, client, events, exited };
}

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

describe.skipIf(skip)(`cordon-init server mode (${skip ? why : 'bwrap'})`, () => {
  let server: Server;
  beforeAll(() => {
    server = startServer();
  });
  afterAll(async () => {
    server.client.close();
    await server.exited;
  });

  test('runs 100 execs of `true`; median round trip and init CPU per exec', async () => {
    const { client } = server;
    await client.exec({ argv: ['true'], env: ENV }); // warm up
    const initPid = Number(
      readFileSync(`/proc/${server.child.pid}/task/${server.child.pid}/children`, 'utf8').trim(),
    );
    const cpuNs = () => Number(readFileSync(`/proc/${initPid}/schedstat`, 'utf8').split(' ')[0]);
    const cpuBefore = cpuNs();
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = process.hrtime.bigint();
      const r = await client.exec({ argv: ['true'], env: ENV });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      expect(r).toMatchObject({ code: 0, signal: null });
      expect(r.pid).toBeGreaterThan(1);
    }
    const initCpuMsPerExec = (cpuNs() - cpuBefore) / 1e6 / 100;
    times.sort((a, b) => a - b);
    const median = times[50]!;
    console.log(
      `exec round trip of true: median ${median.toFixed(3)} ms, p90 ${times[90]!.toFixed(3)} ms; ` +
        `cordon-init CPU ${initCpuMsPerExec.toFixed(3)} ms/exec`,
    );
    // Wall-clock time depends on the machine's load (other suites run beside this one); the
    // init's own CPU time per exec is the figure it controls.
    expect(initCpuMsPerExec).toBeLessThan(1);
    expect(median).toBeLessThan(1000);
    // Nothing notable happened: no line on the events fd, each of which the host must read
    // before it may end an exec (the exit's events count).
    expect(server.events).toEqual([expect.objectContaining({ type: 'ready' })]);
  });

  test('concurrent execs with 1 MiB outputs and stdin are byte-exact', async () => {
    const data = [0, 1, 2].map(() => randomBytes(1024 * 1024));
    const files = data.map((d, i) => {
      const f = join(dir, `blob${i}`);
      writeFileSync(f, d);
      return f;
    });
    const input = randomBytes(1024 * 1024);
    const [a, b, c, d] = await Promise.all([
      server.client.exec({ argv: ['cat', files[0]!], env: ENV }),
      server.client.exec({ argv: ['sh', '-c', `cat ${files[1]} >&2`], env: ENV }),
      server.client.exec({ argv: ['sh', '-c', `cat ${files[2]}; cat ${files[0]} >&2`], env: ENV }),
      server.client.exec({ argv: ['cat'], env: ENV, stdin: input }),
    ]);
    expect(a.stdout.equals(data[0]!)).toBe(true);
    expect(b.stderr.equals(data[1]!)).toBe(true);
    expect(b.stdout.length).toBe(0);
    expect(c.stdout.equals(data[2]!)).toBe(true);
    expect(c.stderr.equals(data[0]!)).toBe(true);
    expect(d.stdout.equals(input)).toBe(true);
    for (const r of [a, b, c, d]) expect(r).toMatchObject({ code: 0, outputTruncated: false });
  });

  test('uses the request env and cwd, and not init environment', async () => {
    const r = await server.client.exec({
      argv: ['sh', '-c', 'echo "$FOO"; pwd; echo "${HOME:-unset}"'],
      env: { ...ENV, FOO: 'bar baz' },
      cwd: '/usr/share',
    });
    expect(r.stdout.toString()).toBe('bar baz\n/usr/share\nunset\n');
  });

  test('KILL signals the exec process group', async () => {
    const r = await server.client.exec({
      argv: ['sh', '-c', 'sleep 30 & sleep 30'],
      env: ENV,
      onStarted: (_pid, id) => server.client.kill(id, 'SIGTERM'),
    });
    expect(r).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  test('a missing program exits 127 with a message; a denied syscall is reported', async () => {
    const missing = await server.client.exec({ argv: ['no-such-program'], env: ENV });
    expect(missing).toMatchObject({ code: 127, pid: null });
    expect(missing.stderr.toString()).toMatch(/no-such-program: No such file/);
    const denied = await server.client.exec({ argv: [probe, 'ptrace'], env: ENV });
    expect(denied.stdout.toString()).toBe('EPERM\n');
    // Events travel on their own pipe: the line may land just after the EXIT frame.
    await waitFor(() => denials(server.events).some((e) => e.pid === denied.pid));
    expect(denials(server.events).at(-1)).toMatchObject({
      syscall: 'ptrace',
      exe: probe,
      pid: denied.pid,
    });
  });
});

describe.skipIf(skip)(`cordon-init hostile frames (${skip ? why : 'bwrap'})`, () => {
  test('answers oversized and malformed frames with ERROR and keeps serving', async () => {
    const server = startServer();
    const socket = server.child.stdio[4] as Duplex;
    socket.removeAllListeners('data'); // read the raw responses here instead of the client
    const decoder = new FrameDecoder();
    const frames: InitFrame[] = [];
    socket.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
    const header = (length: number, type: number, id: number) => {
      const h = Buffer.alloc(9);
      h.writeUInt32LE(length, 0);
      h.writeUInt8(type, 4);
      h.writeUInt32LE(id, 5);
      return h;
    };
    // A 4 GiB claim is answered at once, without waiting for (or allocating) the bytes.
    socket.write(header(0xffffffff, 1, 77));
    await waitFor(() => frames.length > 0);
    expect(frames[0]).toEqual({ type: 'error', id: 77, message: 'frame too large' });
    server.child.kill('SIGKILL');
    await server.exited;

    const second = startServer();
    const raw = second.child.stdio[4] as Duplex;
    raw.removeAllListeners('data');
    const got: InitFrame[] = [];
    const dec = new FrameDecoder();
    raw.on('data', (chunk: Buffer) => got.push(...dec.push(chunk)));
    const hugeArgc = Buffer.concat([header(9, 1, 5), Buffer.from([0xff, 0xff, 0xff, 0x7f])]);
    raw.write(hugeArgc);
    raw.write(Buffer.concat([header(9, 2, 6), Buffer.from([9, 0, 0, 0])])); // KILL unknown id
    raw.write(Buffer.concat([header(5, 42, 7)])); // unknown type
    raw.write(encodeExec({ id: 8, argv: ['true'], env: ENV, cwd: '' }));
    await waitFor(() => got.some((f) => f.type === 'exit'));
    expect(got).toEqual([
      { type: 'error', id: 5, message: 'malformed exec: argc' },
      { type: 'error', id: 6, message: 'no such exec' },
      { type: 'error', id: 7, message: 'unknown request type' },
      expect.objectContaining({ type: 'started', id: 8 }),
      { type: 'exit', id: 8, code: 0, signal: null, eventsWritten: expect.any(Number) },
    ]);
    raw.end();
    expect(await second.exited).toBe(0);
  });
});

describe.skipIf(skip)(`cordon-init control EOF (${skip ? why : 'bwrap'})`, () => {
  test('kills every sandbox process and exits 0', async () => {
    const server = startServer();
    const marker = `32.${process.pid}3`;
    const started = new Promise<void>((resolve) => {
      const running = server.client.exec({
        argv: ['sh', '-c', `sleep ${marker} & sleep ${marker}`],
        env: ENV,
        onStarted: () => resolve(),
      });
      running.catch(() => undefined); // rejected when the socket closes: expected
    });
    await started;
    await sleepMs(50); // let the background sleep start
    server.client.close();
    expect(await server.exited).toBe(0);
    expect(await waitGone(marker)).toEqual([]);
  });
});
