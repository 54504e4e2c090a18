/**
 * The API over real live sandboxes (bubblewrap + cordon-init), the real detector and the audit
 * store: a step's output, a denied syscall surfacing as a finding of that step and on the event
 * stream, and destroy leaving no process behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CordonClient, type StreamedEvent } from '../../src/client/index.js';
import { nativeHelperPath, probeHost } from '../../src/sandbox/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

function canSandbox(): boolean {
  try {
    return existsSync(nativeHelperPath('cordon-init')) && probeHost().bwrap !== null;
  } catch {
    return false;
  }
}
const READY = canSandbox();

/** A raw POST (no client): `chunked` sends the body with no declared length. */
function post(
  url: string,
  token: string,
  body: Buffer,
  chunked: boolean,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': body.length }),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (chunked) {
      for (let at = 0; at < body.length; at += 64 * 1024)
        req.write(body.subarray(at, at + 64 * 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** Host pids whose command line contains `marker`. */
function pidsWith(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(marker))
        out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

let dataDir: string;
let server: RunningServer;
let client: CordonClient;

describe.skipIf(!READY)('API over real sandboxes (needs bwrap and native/build helpers)', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cordon-serve-real-'));
    server = await startServer({ listen: '127.0.0.1:0', dataDir });
    client = new CordonClient({ url: server.url, token: server.token });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('create, exec echo hi, a denied mount is a finding of its step, destroy leaves no process', async () => {
    const sb = await client.createSandbox({
      files: { 'in.txt': 'from the host' },
      labels: { episodeId: 'ep-real' },
    });
    const hi = await client.exec(sb.id, { argv: ['echo', 'hi'], stepId: 'step-1' });
    expect(hi).toMatchObject({ exitCode: 0, stdout: 'hi\n', timedOut: false, findings: [] });
    expect((await client.exec(sb.id, { command: 'cat in.txt' })).stdout).toBe('from the host');
    await client.exec(sb.id, { command: 'echo made inside > out.txt' });
    expect(new TextDecoder().decode(await client.download(sb.id, 'out.txt'))).toBe('made inside\n');
    await client.upload(sb.id, 'up/later.txt', 'uploaded while live');
    expect((await client.exec(sb.id, { argv: ['cat', '/workspace/up/later.txt'] })).stdout).toBe(
      'uploaded while live',
    );
    // Uploaded files belong to the sandbox's uid, so the agent can change them.
    const append = await client.exec(sb.id, {
      command: 'echo more >> up/later.txt && mkdir up/sub',
    });
    expect(append.exitCode).toBe(0);

    const controller = new AbortController();
    const streamed: StreamedEvent[] = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const reading = (async () => {
      for await (const e of client.events({
        sandbox: sb.id,
        kinds: ['finding'],
        signal: controller.signal,
        onReady: ready,
      })) {
        streamed.push(e);
        controller.abort();
      }
    })();
    await isReady;
    const denied = await client.exec(sb.id, {
      command: 'mount -t tmpfs none /mnt; echo rc=$?',
      stepId: 'step-rogue',
    });
    expect(denied.stdout).toMatch(/rc=[1-9]/);
    expect(denied.findings.length).toBeGreaterThan(0);
    expect(
      denied.findings.every((f) => f.stepId === 'step-rogue' && f.episodeId === 'ep-real'),
    ).toBe(true);
    expect(denied.findings.map((f) => f.category)).toContain('escape');
    await reading;
    expect(streamed[0]).toMatchObject({ kind: 'finding', sandboxId: sb.id });
    expect(['suspicious', 'rogue']).toContain((await client.verdict(sb.id)).verdict);

    const marker = `31337${Math.floor(Math.random() * 1000)}`;
    await client.exec(sb.id, { command: `sleep ${marker} >/dev/null 2>&1 &` });
    // The shell returns before its background child has necessarily exec'd sleep: wait for it.
    for (let i = 0; i < 100 && pidsWith(marker).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(pidsWith(marker).length).toBeGreaterThan(0);
    await client.destroy(sb.id);
    expect(pidsWith(marker)).toEqual([]);
    expect(existsSync(join(server.workspaceRoot, sb.id))).toBe(false);
    expect((await client.get(sb.id)).status).toBe('destroyed');
  });

  test('bodies are read from the socket: within the limit they work, past it they get 413, declared or chunked', async () => {
    const sb = await client.createSandbox();
    const url = `${server.url}/v1/sandboxes/${sb.id}/exec`;
    const ok = Buffer.from(JSON.stringify({ argv: ['echo', 'chunked'] }));
    expect(await post(url, server.token, ok, true)).toMatchObject({ status: 200 });
    expect(JSON.parse((await post(url, server.token, ok, false)).body)).toMatchObject({
      stdout: 'chunked\n',
    });
    // 9 MiB against the 8 MiB JSON limit: refused by its declared length, or while read.
    const big = Buffer.from(JSON.stringify({ argv: ['true'], stdin: 'x'.repeat(9 << 20) }));
    for (const chunked of [false, true]) {
      const r = await post(url, server.token, big, chunked);
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'CORDON_E_BODY_TOO_LARGE' });
    }
    // The server is fine afterwards.
    expect(await client.exec(sb.id, { argv: ['true'] })).toMatchObject({ exitCode: 0 });
    await client.destroy(sb.id);
  });

  test('symlinks planted by the agent cannot read or write host files through the file routes', async () => {
    const sb = await client.createSandbox();
    await client.exec(sb.id, {
      command: 'ln -s /etc/passwd leak && ln -s / hostroot && ln -s /tmp tmpdir',
    });
    for (const path of ['leak', 'hostroot/etc/passwd']) {
      await expect(client.download(sb.id, path)).rejects.toMatchObject({
        code: 'CORDON_E_BODY_INVALID',
      });
    }
    const planted = `cordon-api-escape-${process.pid}`;
    await expect(client.upload(sb.id, `tmpdir/${planted}`, 'x')).rejects.toMatchObject({
      code: 'CORDON_E_BODY_INVALID',
    });
    expect(existsSync(join('/tmp', planted))).toBe(false);
    await client.destroy(sb.id);
  });

  test('the audit trail holds the step, attributed', async () => {
    const sb = await client.createSandbox({ labels: { episodeId: 'ep-audit' } });
    await client.exec(sb.id, { argv: ['true'], stepId: 'audited' });
    await client.destroy(sb.id);
    const kinds: string[] = [];
    const controller = new AbortController();
    for await (const e of client.events({
      sandbox: sb.id,
      afterSeq: 0,
      signal: controller.signal,
      onReady: () => controller.abort(),
    })) {
      kinds.push(e.kind);
      if (e.kind === 'step.start') expect(e.stepId).toBe('audited');
    }
    expect(kinds).toEqual(
      expect.arrayContaining(['sandbox.start', 'step.start', 'step.end', 'sandbox.end']),
    );
  });
});
