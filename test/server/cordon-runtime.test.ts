/**
 * `cordon serve` over the library's CordonRuntime: the API reuses its bus, detector and audit store
 * (one detector, one chain), and a rogue step shows as a finding of that step.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CordonClient } from '../../src/client/index.js';
import { CordonRuntime } from '../../src/runtime/index.js';
import { nativeHelperPath, probeHost } from '../../src/sandbox/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

function canSandbox(): boolean {
  try {
    return existsSync(nativeHelperPath('cordon-init')) && probeHost().bwrap !== null;
  } catch {
    return false;
  }
}

let dataDir: string;
let cordon: CordonRuntime;
let server: RunningServer;

describe.skipIf(!canSandbox())(
  'serve over CordonRuntime (needs bwrap and native/build helpers)',
  () => {
    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'cordon-serve-rt-'));
      cordon = await CordonRuntime.start({ dataDir, network: 'loopback', monitor: 'off' });
      server = await startServer({ listen: '127.0.0.1:0', dataDir, cordon });
    });

    afterAll(async () => {
      await server?.close();
      await cordon?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('shares the runtime bus and detector: a denied mount is a finding of its step', async () => {
      expect(server.bus).toBe(cordon.bus);
      const client = new CordonClient({ url: server.url, token: server.token });
      const sb = await client.createSandbox({ labels: { episodeId: 'ep-rt' } });
      const r = await client.exec(sb.id, { command: 'mount -t tmpfs none /mnt', stepId: 'rt-1' });
      expect(r.exitCode).not.toBe(0);
      expect(r.findings.map((f) => f.stepId)).toContain('rt-1');
      expect(cordon.detector.findings(sb.id).length).toBe(r.findings.length);
      expect((await client.findings({ sandboxId: sb.id })).length).toBe(r.findings.length);
      await client.destroy(sb.id);
    });
  },
);
