/** Shared fixtures for the native helper tests: build, run under real bwrap, find host processes. */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cordonPackageRoot, nativeHelperPath } from '../../src/sandbox/native.js';
import { parseInitEventLine, type InitEvent } from '../../src/sandbox/init-protocol.js';

export const hasBwrap = spawnSync('bwrap', ['--version']).status === 0;
export const isolated = process.env.CORDON_ISOLATED === '1';

/** Builds cordon-init and cordon-launch (make is a no-op when they are up to date). */
export function buildHelpers(): { init: string; launch: string } {
  execFileSync('make', ['-s', '-C', 'native', 'build/cordon-init', 'build/cordon-launch'], {
    cwd: cordonPackageRoot(),
    stdio: 'inherit',
  });
  return { init: nativeHelperPath('cordon-init'), launch: nativeHelperPath('cordon-launch') };
}

export const BWRAP_ARGS = [
  '--ro-bind', '/', '/',
  '--dev', '/dev',
  '--proc', '/proc',
  '--unshare-all', '--unshare-user', '--uid', '1000', '--gid', '1000',
  '--as-pid-1', '--die-with-parent', '--cap-drop', 'ALL',
]; // prettier-ignore

export interface OneShotResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: InitEvent[];
}

/** Collects the JSON lines a stream carries. */
export function collectEvents(stream: NodeJS.ReadableStream, into: InitEvent[]): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const event = parseInitEventLine(line);
      if (!event) throw new Error(`malformed event line: ${line}`);
      into.push(event);
    }
  });
}

/** Runs `cordon-init [initArgs] -- cmd` under bwrap and collects output and events. */
export function runOneShot(
  init: string,
  cmd: string[],
  opts: {
    initArgs?: string[];
    extraBwrap?: string[];
    onSpawn?: (child: ChildProcess) => void;
  } = {},
): Promise<OneShotResult> {
  const initArgs = opts.initArgs ?? ['--events', '3'];
  // The init is bound at a fixed path: extra mounts (a tmpfs on /tmp) may hide where it was built; /dev is bwrap's own tmpfs.
  const child = spawn(
    'bwrap',
    [
      ...BWRAP_ARGS,
      ...(opts.extraBwrap ?? []),
      '--ro-bind',
      init,
      '/dev/cordon-init',
      '/dev/cordon-init',
      ...initArgs,
      '--',
      ...cmd,
    ],
    { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const events: InitEvent[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  collectEvents(child.stdio[3] as NodeJS.ReadableStream, events);
  opts.onSpawn?.(child);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      // init always ends with its exit event: a run without one failed outside the code under
      // test (see the retry in cordon-init.test.ts); say how, even when the retry passes.
      if (initArgs.includes('--events') && events.at(-1)?.type !== 'exit') {
        console.warn(
          'runOneShot: no exit event',
          JSON.stringify({ cmd, code, signal, stdout, stderr, events }),
        );
      }
      resolve({ code, signal, stdout, stderr, events });
    });
  });
}

/** Host pids whose command line contains `marker`. */
export function hostPidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      // it exited meanwhile
    }
  }
  return pids;
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until no host process carries `marker` (or the time is up); returns those left. */
export async function waitGone(marker: string, timeoutMs = 2000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = hostPidsWith(marker);
  while (left.length > 0 && Date.now() < deadline) {
    await sleepMs(20);
    left = hostPidsWith(marker);
  }
  return left;
}

/** Polls `cond` every 10 ms until it holds or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await sleepMs(10);
}
