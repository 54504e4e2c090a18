/** Temp data directories and stores for audit tests (removed after each test), and the write worker built for them. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, afterEach } from 'vitest';
import { AuditStore, type AuditStoreOptions } from '../../src/audit/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
let built: { url: URL; dir: string } | undefined;

/**
 * The write worker bundled from source (Node 20 cannot run TypeScript in a worker), once per
 * test process. Under the worktree's dist/ so that `better-sqlite3` resolves from node_modules.
 * @param format 'cjs' for a child process bundled as CommonJS (it resolves through NODE_PATH)
 */
export function writeWorkerScript(format: 'esm' | 'cjs' = 'esm', outDir?: string): URL {
  if (format === 'esm' && built) return built.url;
  const dir = outDir ?? join(ROOT, 'dist', '.test-workers', String(process.pid));
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, format === 'esm' ? 'write-worker.mjs' : 'write-worker.cjs');
  buildSync({
    entryPoints: [join(ROOT, 'src/audit/write-worker.ts')],
    bundle: true,
    platform: 'node',
    format,
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  const url = pathToFileURL(outfile);
  if (format === 'esm') {
    built = { url, dir };
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
  }
  return url;
}

/** Registers cleanup for the calling test file; returns a factory of fresh stores (the worker built for them when one asks for `writer: 'worker'`). */
export function useTempStores(): {
  dir: () => string;
  open: (options?: Partial<AuditStoreOptions>) => AuditStore;
} {
  const dirs: string[] = [];
  const stores: AuditStore[] = [];
  const workerScript = writeWorkerScript();
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'cordon-audit-'));
    dirs.push(d);
    return d;
  };
  return {
    dir,
    open: (options = {}) => {
      const store = AuditStore.open({
        dataDir: options.dataDir ?? join(dir(), 'data'),
        workerScript,
        ...options,
      });
      stores.push(store);
      return store;
    },
  };
}
