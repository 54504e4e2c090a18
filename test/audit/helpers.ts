/** Temp data directories for audit tests, removed after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { AuditStore, type AuditStoreOptions } from '../../src/audit/index.js';

/** Registers cleanup for the calling test file; returns a factory of fresh stores. */
export function useTempStores(): {
  dir: () => string;
  open: (options?: Partial<AuditStoreOptions>) => AuditStore;
} {
  const dirs: string[] = [];
  const stores: AuditStore[] = [];
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
        ...options,
      });
      stores.push(store);
      return store;
    },
  };
}
