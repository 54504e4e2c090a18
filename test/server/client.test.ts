import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CordonClient, type StreamedEvent } from '../../src/client/index.js';
import { CordonError } from '../../src/errors.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { fakeLaunch, type FakeLaunchRecord } from '../../src/server/test-fakes.js';

let dataDir: string;
let server: RunningServer;
let client: CordonClient;
const record: FakeLaunchRecord = { ids: [], destroyed: [] };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cordon-serve-'));
  server = await startServer({
    listen: '127.0.0.1:0',
    dataDir,
    launch: fakeLaunch(record, { withFindings: false }),
  });
  client = new CordonClient({ url: server.url, token: server.token });
});

afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('startServer', () => {
  test('stores a generated token readable only by its owner and listens on loopback', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const file = join(dataDir, 'token');
    expect(readFileSync(file, 'utf8').trim()).toBe(server.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  test('a wrong token is refused with a CordonError', async () => {
    const bad = new CordonClient({ url: server.url, token: 'wrong' });
    await expect(bad.list()).rejects.toMatchObject({ code: 'CORDON_E_UNAUTHORIZED' });
  });
});

describe('TS client against a real server', () => {
  test('create, exec, upload, download, verdict, findings, destroy', async () => {
    const sb = await client.createSandbox({
      files: { 'a.txt': 'alpha' },
      labels: { episodeId: 'ep-ts' },
    });
    expect(sb.status).toBe('running');
    const r = await client.exec(sb.id, { argv: ['cat', 'a.txt'], stepId: 'st-1' });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'alpha', stepId: 'st-1' });
    await client.upload(sb.id, 'dir/b.bin', new Uint8Array([9, 8, 7]));
    expect(await client.download(sb.id, '/workspace/dir/b.bin')).toEqual(new Uint8Array([9, 8, 7]));
    const rogue = await client.exec(sb.id, { command: 'echo mount', stepId: 'st-2' });
    expect(rogue.findings.map((f) => f.category)).toEqual(['escape']);
    expect((await client.verdict(sb.id)).verdict).toBe('rogue');
    expect(await client.findings({ episodeId: 'ep-ts' })).toHaveLength(1);
    expect((await client.list()).map((s) => s.id)).toContain(sb.id);
    expect((await client.destroy(sb.id)).status).toBe('destroyed');
    expect(record.destroyed).toContain(sb.id);
    await expect(client.exec(sb.id, { argv: ['true'] })).rejects.toBeInstanceOf(CordonError);
  });

  test('events: live frames filtered by sandbox and kind, then replay from the audit store', async () => {
    const sb = await client.createSandbox({ labels: { episodeId: 'ep-sse' } });
    const controller = new AbortController();
    const seen: StreamedEvent[] = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const reading = (async () => {
      for await (const e of client.events({
        sandbox: sb.id,
        kinds: ['step.start', 'finding'],
        signal: controller.signal,
        onReady: ready,
      })) {
        seen.push(e);
        if (e.kind === 'finding') controller.abort();
      }
    })();
    await isReady;
    await client.exec(sb.id, { command: 'echo mount', stepId: 'st-sse' });
    await reading;
    expect(seen.map((e) => e.kind)).toEqual(['step.start', 'finding']);
    expect(seen.every((e) => e.sandboxId === sb.id && e.stepId === 'st-sse')).toBe(true);

    // Replay: every stored finding of this sandbox, with its sequence number, then the live tail.
    const replay = new AbortController();
    const replayed: StreamedEvent[] = [];
    for await (const e of client.events({
      sandbox: sb.id,
      minSeverity: 'high',
      afterSeq: 0,
      signal: replay.signal,
      onReady: () => replay.abort(),
    })) {
      replayed.push(e);
    }
    expect(replayed).toHaveLength(1);
    expect(replayed[0]).toMatchObject({ kind: 'finding', seq: expect.any(Number) });
    await client.destroy(sb.id);
  });
});

describe('event stream lifecycle', () => {
  test('a client that disconnects leaves no bus subscription behind', async () => {
    const before = server.bus.listenerCount;
    const controller = new AbortController();
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const reading = (async () => {
      for await (const _ of client.events({ signal: controller.signal, onReady: ready })) {
        // nothing is published: the stream stays idle until aborted
      }
    })();
    await isReady;
    expect(server.bus.listenerCount).toBe(before + 1);
    controller.abort();
    await reading;
    for (let i = 0; i < 50 && server.bus.listenerCount > before; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(server.bus.listenerCount).toBe(before);
  });

  test('bad filters are refused before the stream opens', async () => {
    const res = await fetch(`${server.url}/v1/events?kind=bogus`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'CORDON_E_BODY_INVALID', statusCode: 400 });
  });

  test('EventSource-style ?token= works on /v1/events only', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/events?token=${server.token}`, {
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    controller.abort();
    const other = await fetch(`${server.url}/v1/sandboxes?token=${server.token}`);
    expect(other.status).toBe(401);
  });
});

describe('Python client', () => {
  const python = spawnSync('python3', ['--version']);
  test.skipIf(python.status !== 0)(
    'its unittest suite passes against this server (python3 present)',
    async () => {
      // Async spawn: the server under test lives in this process and must keep answering.
      const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn('python3', ['-m', 'unittest', '-v', 'test_client'], {
          cwd: join(import.meta.dirname, '../../clients/python'),
          env: {
            ...process.env,
            CORDON_URL: server.url,
            CORDON_TOKEN: server.token,
            PYTHONDONTWRITEBYTECODE: '1',
          },
          timeout: 60_000,
        });
        let stderr = '';
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(run.stderr).toMatch(/\nOK\n/);
      expect(run.stderr).not.toMatch(/skipped/);
      expect(run.code).toBe(0);
    },
  );
});
