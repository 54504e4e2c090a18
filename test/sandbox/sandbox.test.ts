/**
 * Live sandboxes: many execs in the same namespaces, step attribution on the bus, per-exec
 * timeouts, responder actions, and a destroy that leaves nothing behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { EventBus, type CordonEvent } from '../../src/events/index.js';
import { resolvePolicy } from '../../src/policy/index.js';
import { Sandbox } from '../../src/sandbox/index.js';
import { alive, leftovers, NOTHING_LEFT } from './helpers.js';

const live: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((s) => s.destroy()));
});

async function create(options: Parameters<typeof Sandbox.create>[0] = {}): Promise<Sandbox> {
  const sb = await Sandbox.create(options);
  live.push(sb);
  return sb;
}

describe('Sandbox (live)', () => {
  test('execs share the workspace and namespaces; results carry output and status', async () => {
    const sb = await create();
    const a = await sb.exec(['sh', '-c', 'echo hello > note; echo $HOME; exit 3']);
    expect(a).toMatchObject({ exitCode: 3, signal: null, stdout: '/workspace\n', timedOut: false });
    const b = await sb.exec(['cat', 'note'], { cwd: '/workspace' });
    expect(b.stdout).toBe('hello\n');
    const c = await sb.exec(['sh', '-c', 'cat; echo $EXTRA'], {
      stdin: 'in\n',
      env: { EXTRA: 'x' },
    });
    expect(c.stdout).toBe('in\nx\n');
    const missing = await sb.exec(['no-such-program']);
    expect(missing.exitCode).toBe(127);
  });

  test('each exec reports the limit hits of its own step: a fork refused, then none', async () => {
    const sb = await create({ policy: resolvePolicy({ resources: { pids: 16 } }) });
    // Fifty background sleeps against a limit of 16: forks are refused in this exec.
    const bomb = await sb.exec([
      'sh',
      '-c',
      'i=0; while [ $i -lt 50 ]; do sleep 5 & i=$((i+1)); done 2>/dev/null; kill $(jobs -p) 2>/dev/null; true',
    ]);
    expect(bomb.pidsLimited).toBe(true);
    // The counter is read afresh for each exec (the same descriptor, re-read at offset 0): the
    // next step hit nothing, and says so.
    const quiet = await sb.exec(['true']);
    expect(quiet.pidsLimited).toBe(false);
    const again = await sb.exec([
      'sh',
      '-c',
      'i=0; while [ $i -lt 50 ]; do sleep 5 & i=$((i+1)); done 2>/dev/null; true',
    ]);
    expect(again.pidsLimited).toBe(true);
  });

  test('concurrent execs run at once', async () => {
    const sb = await create();
    const started = Date.now();
    const results = await Promise.all(
      [1, 2, 3].map((n) => sb.exec(['sh', '-c', `sleep 0.3; echo ${n}`])),
    );
    expect(results.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n']);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('steps are attributed on the bus, denied syscalls included', async () => {
    const bus = new EventBus();
    const events: CordonEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const sb = await create({ bus, episodeId: 'ep-7' });
    const r = await sb.exec(['unshare', '-U', 'true'], { stepId: 'tool-1' });
    expect(r.exitCode).toBe(1);
    expect(r.deniedSyscalls.map((d) => d.syscall)).toEqual(['unshare']);
    const kinds = events.map((e) => `${e.kind}:${e.stepId ?? '-'}`);
    expect(kinds).toEqual([
      'sandbox.start:-',
      'step.start:tool-1',
      'syscall:tool-1',
      'step.end:tool-1',
    ]);
    expect(events.every((e) => e.sandboxId === sb.sandboxId && e.episodeId === 'ep-7')).toBe(true);
  });

  test('an exec timeout ends that exec and is reported; the sandbox lives on', async () => {
    const sb = await create({ graceMs: 200 });
    const r = await sb.exec(['sh', '-c', 'sleep 30'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGTERM');
    expect(r.limitEvents.map((e) => e.limit)).toEqual(['timeout']);
    expect((await sb.exec(['true'])).exitCode).toBe(0);
  });

  test('killTree ends one process tree; freeze and thaw stop and resume the sandbox', async () => {
    const sb = await create();
    const running = sb.exec(['sh', '-c', 'sleep 30 & sleep 30']);
    await new Promise((r) => setTimeout(r, 300));
    await sb.freeze();
    const victim = sb.hostPids().find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sh\0-c');
      } catch {
        return false;
      }
    });
    sb.thaw();
    expect(victim).toBeDefined();
    const killed = await sb.killTree(victim!);
    expect(killed.length).toBe(3); // sh and both sleeps
    const r = await running;
    expect(r.signal).toBe('SIGKILL');
    expect((await sb.exec(['true'])).exitCode).toBe(0);
  });

  test('killTree ends a tree that keeps forking, leaving none of its children behind', async () => {
    const sb = await create();
    const running = sb.exec(['sh', '-c', 'while :; do sleep 60 & sleep 0.01; done']);
    const cmdline = (pid: number): string => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    };
    await new Promise((r) => setTimeout(r, 300));
    const victim = sb.hostPids().find((pid) => cmdline(pid).startsWith('sh\0-c'));
    expect(victim).toBeDefined();
    const killed = await sb.killTree(victim!);
    expect(killed.length).toBeGreaterThan(5);
    const r = await running;
    expect(r.signal).toBe('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sb.hostPids().filter((pid) => cmdline(pid).startsWith('sleep'))).toEqual([]);
  });

  test('terminate ends running execs with killedByPolicy; destroy leaves nothing behind', async () => {
    const sb = await create({ graceMs: 200 });
    const running = sb.exec(['sleep', '30']);
    await new Promise((r) => setTimeout(r, 200));
    const pids = sb.hostPids();
    await sb.terminate('reverse shell');
    const r = await running;
    expect(r.killedByPolicy).toBe(true);
    expect(r.reason).toBe('reverse shell');
    await expect(sb.exec(['true'])).rejects.toMatchObject({ code: 'CORDON_E_SANDBOX_STATE' });
    await sb.destroy();
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(sb.workspace)).toBe(false);
    expect(leftovers(sb.sandboxId)).toEqual(NOTHING_LEFT);
  });

  test('a sandbox that cannot start rejects with CORDON_E_SANDBOX_START and leaves nothing', async () => {
    const network = { netnsPath: '/run/netns/cordon-missing', env: {} };
    await expect(Sandbox.create({ network, sandboxId: 'failstart01' })).rejects.toMatchObject({
      code: 'CORDON_E_SANDBOX_START',
      message: expect.stringContaining('cordon-launch:'),
    });
    expect(leftovers('failstart01')).toEqual(NOTHING_LEFT);
  });
});
