/**
 * One-shot limits and lifecycle, asserted by effect: pids and memory limits stop abuse and are
 * reported, a timeout or a policy action ends the whole tree, denied syscalls fail with EPERM and
 * are reported, and nothing is left behind.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { describe, expect, test } from 'vitest';
import { EventBus, type CordonEvent } from '../../src/events/index.js';
import { resolvePolicy } from '../../src/policy/index.js';
import { runSandboxed, type SandboxHandle } from '../../src/sandbox/index.js';
import { alive, leftovers, NOTHING_LEFT } from './helpers.js';

const sh = (script: string) => ['sh', '-c', script];

describe('runSandboxed limits', () => {
  test('a fork bomb is stopped by the pids limit, reported, and the host stays responsive', async () => {
    const policy = resolvePolicy({ resources: { pids: 32 } });
    const bus = new EventBus();
    const events: CordonEvent[] = [];
    bus.subscribe((e) => events.push(e));
    let worstHostSpawnMs = 0;
    const probe = setInterval(() => {
      const t = performance.now();
      spawnSync('true');
      worstHostSpawnMs = Math.max(worstHostSpawnMs, performance.now() - t);
    }, 100);
    const r = await runSandboxed(['bash', '-c', 'bomb() { bomb | bomb & }; bomb; sleep 5'], {
      capture: true,
      policy,
      timeoutMs: 1500,
      graceMs: 200,
      bus,
    });
    clearInterval(probe);
    expect(r.pidsLimited).toBe(true);
    expect(r.limitEvents.map((e) => e.limit)).toContain('pids');
    expect(r.peakPids).toBeGreaterThan(16);
    expect(r.peakPids).toBeLessThanOrEqual(32);
    expect(events.some((e) => e.kind === 'resource.limit' && e.limit === 'pids')).toBe(true);
    expect(worstHostSpawnMs).toBeLessThan(1000);
    expect(leftovers(r.sandboxId)).toEqual(NOTHING_LEFT);
  });

  test('a memory hog is OOM-killed inside its cgroup and reported', async () => {
    const policy = resolvePolicy({ resources: { memoryMB: 64 } });
    const r = await runSandboxed(
      ['python3', '-c', 'b = bytearray(512 * 1024 * 1024); print("survived")'],
      {
        capture: true,
        policy,
      },
    );
    expect(r.oomKilled).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).not.toContain('survived');
    expect(r.limitEvents.map((e) => e.limit)).toContain('memory');
    expect(r.peakMemoryBytes).toBeGreaterThan(32 * 1024 * 1024);
    expect(r.peakMemoryBytes).toBeLessThanOrEqual(64 * 1024 * 1024);
  });

  test('a timeout ends the whole tree, background and setsid children included', async () => {
    let pids: number[] = [];
    const started = Date.now();
    const r = await runSandboxed(
      sh('sleep 60 & (setsid sleep 60 &) ; trap "" TERM; sleep 60; echo never'),
      {
        capture: true,
        timeoutMs: 800,
        graceMs: 300,
        // every pid ever seen in the sandbox, so the check below covers the whole tree
        onStart: (h) => {
          const poll = setInterval(() => {
            const now = h.hostPids();
            if (pids.length > 0 && now.length === 0) clearInterval(poll);
            pids = [...new Set([...pids, ...now])];
          }, 20);
        },
      },
    );
    expect(r.timedOut).toBe(true);
    expect(r.stdout).not.toContain('never');
    expect(r.exitCode === null ? r.signal : r.exitCode).toBeTruthy();
    expect(r.limitEvents.map((e) => e.limit)).toEqual(['timeout']);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(pids.length).toBeGreaterThanOrEqual(4);
    expect(pids.filter(alive)).toEqual([]);
    expect(leftovers(r.sandboxId)).toEqual(NOTHING_LEFT);
  });

  test('terminate() from a responder ends the run with killedByPolicy', async () => {
    const r = await runSandboxed(sh('sleep 60'), {
      capture: true,
      graceMs: 200,
      onStart: (h: SandboxHandle) => setTimeout(() => void h.terminate('mining detected'), 200),
    });
    expect(r.killedByPolicy).toBe(true);
    expect(r.timedOut).toBe(false);
    expect(r.reason).toBe('mining detected');
    expect(r.exitCode).not.toBe(0);
  });
});

// x86_64 numbers; the filter itself is per-arch, the test names numbers to bypass libc wrappers.
const SYSCALLS: Record<string, number> = {
  mount: 165,
  umount2: 166,
  pivot_root: 155,
  unshare: 272,
  setns: 308,
  ptrace: 101,
  process_vm_readv: 310,
  process_vm_writev: 311,
  bpf: 321,
  perf_event_open: 298,
  kexec_load: 246,
  kexec_file_load: 320,
  init_module: 175,
  finit_module: 313,
  delete_module: 176,
  keyctl: 250,
  add_key: 248,
  request_key: 249,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  userfaultfd: 323,
  open_by_handle_at: 304,
  reboot: 169,
  swapon: 167,
  swapoff: 168,
};

describe('runSandboxed seccomp', () => {
  test.skipIf(arch() !== 'x64')(
    'each denied syscall fails with EPERM and appears in the result and on the bus',
    async () => {
      const py = [
        'import ctypes, os',
        'libc = ctypes.CDLL(None, use_errno=True)',
        `for name, nr in ${JSON.stringify(Object.entries(SYSCALLS))}:`,
        '    r = libc.syscall(nr, 0, 0, 0, 0, 0, 0)',
        '    print(name, r, ctypes.get_errno())',
      ].join('\n');
      const bus = new EventBus();
      const events: CordonEvent[] = [];
      bus.subscribe((e) => events.push(e));
      const r = await runSandboxed(['python3', '-c', py], {
        capture: true,
        bus,
        episodeId: 'ep-1',
      });
      expect(r.exitCode).toBe(0);
      const lines = r.stdout!.trim().split('\n');
      expect(lines).toHaveLength(Object.keys(SYSCALLS).length);
      for (const line of lines) expect(line).toMatch(/^\w+ -1 1$/); // -1, errno 1 = EPERM
      const denied = new Set(r.deniedSyscalls.map((d) => d.syscall));
      for (const name of Object.keys(SYSCALLS)) expect(denied).toContain(name);
      expect(r.deniedSyscalls[0]?.exe).toMatch(/python3/);
      const onBus = events.filter((e) => e.kind === 'syscall' && e.denied);
      expect(onBus).toHaveLength(r.deniedSyscalls.length);
      expect(onBus[0]).toMatchObject({ sandboxId: r.sandboxId, episodeId: 'ep-1' });
    },
  );

  test('namespace flags on clone are denied (unshare(1) and a namespaced clone)', async () => {
    const r = await runSandboxed(sh('unshare -U true; echo u=$?; unshare -m true; echo m=$?'), {
      capture: true,
    });
    expect(r.stdout).toBe('u=1\nm=1\n');
    expect(r.deniedSyscalls.map((d) => d.syscall)).toEqual(['unshare', 'unshare']);
  });
});

describe('runSandboxed failures', () => {
  test('a sandbox that cannot start is a typed error, not an exit status, and leaves nothing', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('cordon-ws-')));
    const network = { netnsPath: '/run/netns/cordon-does-not-exist', env: {} };
    await expect(runSandboxed(['true'], { capture: true, network })).rejects.toMatchObject({
      code: 'CORDON_E_SANDBOX_START',
      message: expect.stringContaining('cordon-launch:'),
    });
    await expect(runSandboxed(['true'], { workspace: '/nonexistent/ws' })).rejects.toMatchObject({
      code: 'CORDON_E_USAGE',
    });
    const after = readdirSync(tmpdir()).filter((n) => n.startsWith('cordon-ws-') && !before.has(n));
    expect(after.filter((n) => n.includes(`-${process.pid}-`))).toEqual([]);
  });
});
