/** Test fixtures for the monitor: throwaway cgroup2 directories and processes run inside them. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CordonEvent } from '../../src/events/index.js';
import type { EventBus } from '../../src/events/index.js';
import { cgroup2Root } from '../../src/monitor/index.js';

export const isRoot = process.getuid?.() === 0;

/** Creates a cgroup2 directory for a test; `remove()` kills what is left in it and deletes it. */
export function makeCgroup(name: string): {
  dir: string;
  procs: string;
  remove: () => Promise<void>;
} {
  const root = cgroup2Root();
  if (!root) throw new Error('no cgroup2 hierarchy');
  const dir = join(root, `cordon-test-${process.pid}-${name}`);
  mkdirSync(dir, { recursive: true });
  const procs = join(dir, 'cgroup.procs');
  const remove = async (): Promise<void> => {
    for (let i = 0; i < 500 && existsSync(dir); i++) {
      for (const pid of readFileSync(procs, 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      try {
        rmdirSync(dir);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 10)); // killed processes still exiting
      }
    }
    if (existsSync(dir)) console.warn(`could not remove ${dir}`);
  };
  return { dir, procs, remove };
}

/** Runs argv inside the cgroup (the shell joins it, then execs argv). Resolves to pid and status. */
export function runIn(
  procs: string | null,
  argv: string[],
  options: { stdout?: 'ignore' | 'pipe'; cwd?: string } = {},
): Promise<{ pid: number; code: number | null; stdout: string }> {
  const join = procs ? `echo $$ > '${procs}' && ` : '';
  const child = spawn('/bin/sh', ['-c', `${join}exec "$@"`, 'sh', ...argv], {
    stdio: ['ignore', options.stdout ?? 'pipe', 'ignore'],
    cwd: options.cwd,
  });
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ pid: child.pid!, code, stdout }));
  });
}

export function collect(bus: EventBus): { events: CordonEvent[]; off: () => void } {
  const events: CordonEvent[] = [];
  const off = bus.subscribe((e) => events.push(e));
  return { events, off };
}
