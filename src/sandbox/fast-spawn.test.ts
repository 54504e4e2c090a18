import { readdirSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { CordonError } from '../errors.js';
import { fastSpawnAvailable, spawnLauncher, type LauncherProcess } from './fast-spawn.js';

const closed = (child: LauncherProcess): Promise<[number | null, string | null]> =>
  new Promise((resolve) => child.once('close', (code, signal) => resolve([code, signal])));

const read = (stream: NodeJS.ReadableStream | null): Promise<string> =>
  new Promise((resolve) => {
    let text = '';
    stream?.on('data', (c: Buffer) => (text += c.toString('utf8')));
    stream?.on('end', () => resolve(text));
  });

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe.skipIf(!fastSpawnAvailable())('spawnLauncher (posix_spawn addon)', () => {
  test('passes argv, env and stdio both ways, and reports the exit code', async () => {
    const child = await spawnLauncher(
      '/bin/sh',
      ['-c', 'read line; echo "$line $GREETING" ; echo err >&2; exit 7'],
      { env: { GREETING: 'hello' }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out = read(child.stdout);
    const err = read(child.stderr);
    child.stdin?.end('ping\n');
    expect(await closed(child)).toEqual([7, null]);
    expect(await out).toBe('ping hello\n');
    expect(await err).toBe('err\n');
    expect(child.exitCode).toBe(7);
  });

  test('kill delivers the signal, exit reports it, and a later kill is a no-op', async () => {
    const child = await spawnLauncher('/bin/sleep', ['30'], {
      env: {},
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve([code, signal])),
    );
    expect(child.kill('SIGKILL')).toBe(true);
    expect(await exit).toEqual([null, 'SIGKILL']);
    expect(child.signalCode).toBe('SIGKILL');
    expect(child.kill('SIGKILL')).toBe(false);
  });

  test('close comes even when stdin was never ended (the exit destroys it, as with Node)', async () => {
    const child = await spawnLauncher('/bin/true', [], {
      env: {},
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdout?.resume();
    child.stderr?.resume();
    expect(await closed(child)).toEqual([0, null]);
    expect(child.stdin?.destroyed).toBe(true);
  });

  test('fd 4 is a two-way socket, and the child gets only the fds asked for', async () => {
    const child = await spawnLauncher(
      '/bin/sh',
      ['-c', 'ls /proc/self/fd | sort -n | tr "\\n" " " >&4; cat <&4 >&4'],
      { env: {}, stdio: ['ignore', 'ignore', 'ignore', 'ignore', 'pipe'] },
    );
    const control = child.stdio[4] as Duplex;
    const echoed = read(control);
    control.write('round trip');
    control.end();
    await closed(child);
    // 0-4 plus the one ls itself opens to read /proc/self/fd: nothing of cordon's leaked.
    expect((await echoed).trim()).toBe('0 1 2 3 4 5 round trip');
  });

  test('a binary that cannot be executed is a typed error and leaks nothing', async () => {
    const before = openFds();
    await expect(
      spawnLauncher('/nonexistent/cordon-launch', [], { env: {}, stdio: ['pipe', 'pipe', 'pipe'] }),
    ).rejects.toThrow(CordonError);
    expect(openFds()).toBe(before);
  });

  test('a hundred children started and reaped leave no descriptor and no zombie behind', async () => {
    const before = openFds();
    // Listeners go on as each spawn resolves, as callers do: an exit is never delivered before.
    const children: LauncherProcess[] = [];
    const codes = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const child = await spawnLauncher('/bin/true', [], {
          env: {},
          stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        });
        children.push(child);
        return closed(child);
      }),
    );
    expect(codes.every(([code]) => code === 0)).toBe(true);
    expect(openFds()).toBe(before);
    for (const child of children) {
      expect(() => process.kill(child.pid!, 0)).toThrow(); // reaped: the pid is gone
    }
  });
});
