import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { canonicalBody } from './canonical.js';
import { sampleEvent } from '../../test/audit/fixtures/events.js';
import { writeWorkerScript } from '../../test/audit/helpers.js';
import { AuditStore } from './store.js';
import { verify } from './verify.js';

const BATCH = 256;
let work: string;
let childScript: string;
let workerScript: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cordon-audit-crash-'));
  childScript = join(work, 'crash-child.cjs');
  // Node 20 cannot run TypeScript: bundle the child (the real store code) once.
  buildSync({
    entryPoints: [resolve(import.meta.dirname, '../../test/audit/fixtures/crash-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    outfile: childScript,
    logLevel: 'error',
  });
  workerScript = fileURLToPath(writeWorkerScript('cjs', work));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Runs the child until it has committed `minSeq`, then SIGKILLs it after a random few ms (so the
 * kill lands anywhere in a batch), and returns what it reported before dying.
 */
async function runAndKill(
  dataDir: string,
  minSeq: number,
  writer: 'worker' | 'inline',
): Promise<{ flushed: number; appended: number; mode: string }> {
  const args = [
    childScript,
    dataDir,
    String(BATCH),
    ...(writer === 'worker' ? [workerScript] : []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NODE_PATH: resolve(import.meta.dirname, '../../node_modules') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let flushed = 0;
  let appended = 0;
  let mode = '';
  let buffered = '';
  let killing = false;
  const exited = new Promise<NodeJS.Signals | null>((done) =>
    child.on('exit', (_code, signal) => done(signal)),
  );
  child.stdout.on('data', (data: Buffer) => {
    buffered += data.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [what, n] = line.split(' ');
      if (what === 'flushed') flushed = Number(n);
      if (what === 'appended') appended = Number(n);
      if (what === 'mode') mode = n ?? '';
    }
    if (flushed >= minSeq && !killing) {
      killing = true;
      setTimeout(() => child.kill('SIGKILL'), Math.random() * 20);
    }
  });
  expect(await exited).toBe('SIGKILL');
  return { flushed, appended, mode };
}

describe('crash safety', () => {
  test.each(['worker', 'inline'] as const)(
    'SIGKILL mid-stream loses less than one batch and never damages the chain (%s writer)',
    async (writer) => {
      const dataDir = join(work, `data-${writer}`);
      let head = 0;
      for (let round = 0; round < 3; round++) {
        const reported = await runAndKill(dataDir, head + 8 * BATCH, writer);
        expect(reported.mode).toBe(writer);
        const store = AuditStore.open({ dataDir });
        try {
          const check = verify(store);
          expect(check.ok, JSON.stringify(check.firstBad)).toBe(true);
          head = store.head().seq;
          // Every batch the child reported as committed is there ...
          expect(head).toBeGreaterThanOrEqual(reported.flushed);
          expect(check.records).toBe(head);
          // ... and less than one batch was lost: `appended` is a lower bound of what the child
          // queued (with the worker, `batchSize` bounds what is queued and in flight together).
          expect(reported.appended - head).toBeLessThan(BATCH);
          // Records are intact and in order: the event appended i-th sits at seq i + 1.
          for (const r of store.query({ afterSeq: head - 600, limit: 600 })) {
            expect(canonicalBody(r.event)).toBe(canonicalBody(sampleEvent(r.seq - 1)));
          }
        } finally {
          store.close();
        }
      }
    },
    90_000,
  );
});
