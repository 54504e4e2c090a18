/**
 * If cordon itself dies by SIGKILL (no chance to clean up), every sandbox process dies with it
 * within a second, and the next cordon removes the cgroup and workspace left behind.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, test } from 'vitest';
import { collectLeftovers } from '../../src/sandbox/index.js';
import { alive, leftovers, NOTHING_LEFT } from './helpers.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
// Inside the package so the bundle finds native/build the way an installed cordon does.
const cacheDir = join(repo, 'node_modules', '.cache');
mkdirSync(cacheDir, { recursive: true });
const workDir = mkdtempSync(join(cacheDir, 'cordon-kill-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const CHILD = `
import { runSandboxed } from ${JSON.stringify(join(repo, 'src/sandbox/index.ts'))};
await runSandboxed(['sh', '-c', 'sleep 60 & (setsid sleep 60 &); sleep 60'], {
  capture: true,
  onStart: (h) => {
    // bwrap, init, sh and two sleeps (the setsid subshell exits once its sleep is started)
    const poll = setInterval(() => {
      const pids = h.hostPids();
      if (pids.length < 5) return;
      clearInterval(poll);
      console.log(JSON.stringify({ id: h.sandboxId, pids }));
    }, 20);
  },
});
`;

describe('SIGKILL of cordon', () => {
  test('leaves no sandbox process alive after 1 s; leftovers are collected at the next start', async () => {
    const entry = join(workDir, 'child.ts');
    writeFileSync(entry, CHILD);
    const outfile = join(workDir, 'child.mjs');
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'error',
      packages: 'external',
    });
    const child = spawn(process.execPath, [outfile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let id = '';
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`child exited early (${String(code)})`)));
      });
      const started = JSON.parse(line) as { id: string; pids: number[] };
      id = started.id;
      // (a pid sampled mid-fork may already be gone: the setsid subshell exits at once)
      const live = started.pids.filter(alive);
      expect(live.length).toBeGreaterThanOrEqual(4);
      child.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      expect(live.filter(alive)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
      // The dead cordon's cgroup is collected here, unless a cordon process starting meanwhile (another
      // test worker) collected it first; either way nothing may be left (asserted below).
      await collectLeftovers();
    }
    expect(leftovers(id)).toEqual(NOTHING_LEFT);
  });
});
