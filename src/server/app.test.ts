import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { EventBus } from '../events/index.js';
import { createApp } from './app.js';
import { WorkspaceSandboxManager } from './manager.js';
import { MemoryHistory } from './memory-history.js';
import { fakeLaunch, type FakeLaunchRecord } from './test-fakes.js';

const TOKEN = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };

let root: string;
let bus: EventBus;
let record: FakeLaunchRecord;
let manager: WorkspaceSandboxManager;
let app: ReturnType<typeof createApp>;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cordon-api-'));
  bus = new EventBus();
  record = { ids: [], destroyed: [] };
  manager = new WorkspaceSandboxManager({ bus, launch: fakeLaunch(record), workspaceRoot: root });
  app = createApp({
    bus,
    sandboxes: manager,
    history: new MemoryHistory(bus),
    token: TOKEN,
    limits: { uploadBytes: 1024, jsonBodyBytes: 64 * 1024 },
  });
});

afterEach(async () => {
  await manager.close();
  rmSync(root, { recursive: true, force: true });
});

function json(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = auth,
): Promise<Response> {
  return Promise.resolve(
    app.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    }),
  );
}

async function create(body: unknown = {}): Promise<{ id: string }> {
  const res = await json('POST', '/v1/sandboxes', body);
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

function expectErrorShape(body: unknown, statusCode: number, code: string): void {
  expect(body).toMatchObject({
    statusCode,
    code,
    error: expect.any(String),
    message: expect.any(String),
  });
}

describe('auth', () => {
  test('rejects a missing or wrong token with 401 and the error shape', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer nope' },
      { authorization: TOKEN },
    ] as Record<string, string>[]) {
      const res = await json('GET', '/v1/sandboxes', undefined, headers);
      expect(res.status).toBe(401);
      expectErrorShape(await res.json(), 401, 'CORDON_E_UNAUTHORIZED');
    }
    expect(record.ids).toHaveLength(0);
  });

  test('health and the OpenAPI document need no token; metrics does', async () => {
    expect((await app.request('/v1/health')).status).toBe(200);
    expect((await app.request('/v1/openapi.json')).status).toBe(200);
    expect((await app.request('/metrics')).status).toBe(401);
  });

  test('a POST without a token creates no sandbox', async () => {
    const res = await json('POST', '/v1/sandboxes', {}, {});
    expect(res.status).toBe(401);
    expect(record.ids).toHaveLength(0);
  });
});

describe('validation', () => {
  test('unknown keys, bad JSON and bad policy get 400 with paths', async () => {
    const extra = await json('POST', '/v1/sandboxes', { nope: 1 });
    expect(extra.status).toBe(400);
    expectErrorShape(await extra.json(), 400, 'CORDON_E_BODY_INVALID');

    const bad = await json('POST', '/v1/sandboxes', '{not json');
    expect(bad.status).toBe(400);
    expectErrorShape(await bad.json(), 400, 'CORDON_E_BODY_INVALID');

    const policy = await json('POST', '/v1/sandboxes', {
      policy: { network: { allow: ['*:443'] } },
    });
    expect(policy.status).toBe(400);
    const body = (await policy.json()) as { code: string; problems: { path: string }[] };
    expect(body.code).toBe('CORDON_E_POLICY_INVALID');
    expect(body.problems[0]?.path).toBe('policy.network.allow.0');
    expect(record.ids).toHaveLength(0);
  });

  test('exec needs exactly one of argv or command', async () => {
    const { id } = await create();
    for (const body of [{}, { argv: ['true'], command: 'true' }, { argv: [] }]) {
      const res = await json('POST', `/v1/sandboxes/${id}/exec`, body);
      expect(res.status).toBe(400);
      expectErrorShape(await res.json(), 400, 'CORDON_E_BODY_INVALID');
    }
  });

  test('a TTL beyond the limit is refused', async () => {
    const res = await json('POST', '/v1/sandboxes', { ttlMs: 365 * 24 * 3_600_000 });
    expect(res.status).toBe(400);
    expect(record.ids).toHaveLength(0);
  });

  test('bodies over the limit get 413', async () => {
    const big = await json('POST', '/v1/sandboxes', { files: { 'a.txt': 'x'.repeat(100_000) } });
    expect(big.status).toBe(413);
    expectErrorShape(await big.json(), 413, 'CORDON_E_BODY_TOO_LARGE');
    const { id } = await create();
    const up = await app.request(`/v1/sandboxes/${id}/files?path=big.bin`, {
      method: 'PUT',
      headers: auth,
      body: new Uint8Array(2048),
    });
    expect(up.status).toBe(413);
    expect(existsSync(join(root, id, 'big.bin'))).toBe(false);
  });
});

describe('not found', () => {
  test('unknown sandbox and unknown route answer 404 with the error shape', async () => {
    for (const [method, path] of [
      ['GET', '/v1/sandboxes/sb-nope'],
      ['DELETE', '/v1/sandboxes/sb-nope'],
      ['GET', '/v1/sandboxes/sb-nope/verdict'],
      ['GET', '/v1/nothing-here'],
    ] as const) {
      const res = await json(method, path);
      expect(res.status).toBe(404);
      expectErrorShape(await res.json(), 404, 'CORDON_E_NOT_FOUND');
    }
    const exec = await json('POST', '/v1/sandboxes/sb-nope/exec', { argv: ['true'] });
    expect(exec.status).toBe(404);
  });
});

describe('sandboxes', () => {
  test('create writes workspace files, exec runs a step, destroy removes the workspace', async () => {
    const { id } = await create({
      files: {
        'hello.txt': 'hi there',
        'bin/data': { base64: Buffer.from([0, 1, 2]).toString('base64') },
      },
      labels: { episodeId: 'ep-7' },
    });
    expect((await (await json('GET', `/v1/sandboxes/${id}`)).json()) as object).toMatchObject({
      id,
      status: 'running',
      episodeId: 'ep-7',
    });

    const exec = await json('POST', `/v1/sandboxes/${id}/exec`, {
      command: 'cat hello.txt; echo err >&2; exit 3',
      stepId: 'step-1',
    });
    expect(exec.status).toBe(200);
    expect(await exec.json()).toMatchObject({
      stepId: 'step-1',
      exitCode: 3,
      stdout: 'hi there',
      stderr: 'err\n',
      timedOut: false,
      findings: [],
    });

    const dl = await app.request(`/v1/sandboxes/${id}/files?path=/workspace/bin/data`, {
      headers: auth,
    });
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(new Uint8Array([0, 1, 2]));

    const list = (await (await json('GET', '/v1/sandboxes')).json()) as {
      sandboxes: { id: string }[];
    };
    expect(list.sandboxes.map((s) => s.id)).toEqual([id]);

    const del = await json('DELETE', `/v1/sandboxes/${id}`);
    expect(await del.json()).toMatchObject({ id, status: 'destroyed', endReason: 'deleted' });
    expect(record.destroyed).toEqual([id]);
    expect(existsSync(join(root, id))).toBe(false);
    const again = await json('POST', `/v1/sandboxes/${id}/exec`, { argv: ['true'] });
    expect(again.status).toBe(409);
  });

  test('exec returns the findings raised during that step only, and the verdict follows', async () => {
    const { id } = await create();
    const first = (await (
      await json('POST', `/v1/sandboxes/${id}/exec`, { command: 'echo mount /x', stepId: 's1' })
    ).json()) as { findings: { rule: string; stepId: string }[] };
    expect(first.findings).toHaveLength(1);
    expect(first.findings[0]).toMatchObject({ rule: 'escape.mount-syscall', stepId: 's1' });
    const second = (await (
      await json('POST', `/v1/sandboxes/${id}/exec`, { argv: ['true'], stepId: 's2' })
    ).json()) as { findings: unknown[] };
    expect(second.findings).toHaveLength(0);

    const verdict = await (await json('GET', `/v1/sandboxes/${id}/verdict`)).json();
    expect(verdict).toMatchObject({
      sandboxId: id,
      verdict: 'rogue',
      findings: 1,
      bySeverity: { high: 1 },
    });
    const findings = (await (
      await json('GET', `/v1/findings?sandboxId=${id}&category=escape&severity=medium`)
    ).json()) as { findings: unknown[] };
    expect(findings.findings).toHaveLength(1);
    const none = (await (
      await json('GET', `/v1/findings?sandboxId=${id}&category=mining`)
    ).json()) as { findings: unknown[] };
    expect(none.findings).toHaveLength(0);
    expect((await json('GET', '/v1/findings?category=bogus')).status).toBe(400);
  });

  test('TTL expiry destroys the sandbox and its workspace', async () => {
    const { id } = await create({ ttlMs: 1000 });
    await new Promise((r) => setTimeout(r, 1300));
    expect(record.destroyed).toEqual([id]);
    expect(existsSync(join(root, id))).toBe(false);
    expect(await (await json('GET', `/v1/sandboxes/${id}`)).json()).toMatchObject({
      status: 'destroyed',
      endReason: 'ttl',
    });
  });
});

describe('file routes reject traversal', () => {
  test('.., absolute paths outside /workspace, NUL and planted symlinks', async () => {
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'host secret');
    const { id } = await create({ files: { 'ok.txt': 'fine' } });
    const ws = join(root, id);
    symlinkSync(outside, join(ws, 'link.txt'));
    symlinkSync(root, join(ws, 'dir'));
    const paths = [
      '../outside.txt',
      'a/../../outside.txt',
      '/etc/passwd',
      '/workspace/../etc/passwd',
      'link.txt',
      'dir/outside.txt',
    ];
    const queries = [...paths.map(encodeURIComponent), 'x%00y'];
    for (const query of queries) {
      const get = await app.request(`/v1/sandboxes/${id}/files?path=${query}`, { headers: auth });
      expect(get.status, query).toBe(400);
      expectErrorShape(await get.json(), 400, 'CORDON_E_BODY_INVALID');
      const put = await app.request(`/v1/sandboxes/${id}/files?path=${query}`, {
        method: 'PUT',
        headers: auth,
        body: 'pwned',
      });
      expect(put.status, query).toBe(400);
    }
    expect(readFileSync(outside, 'utf8')).toBe('host secret');
    const traversalCreate = await json('POST', '/v1/sandboxes', {
      files: { '../escape.txt': 'x' },
    });
    expect(traversalCreate.status).toBe(400);
    expect(existsSync(join(root, 'escape.txt'))).toBe(false);
    const missing = await app.request(`/v1/sandboxes/${id}/files?path=nope.txt`, { headers: auth });
    expect(missing.status).toBe(404);
  });
});

describe('openapi and metrics', () => {
  test('the OpenAPI document lists every route with schemas from zod', async () => {
    const doc = (await (await app.request('/v1/openapi.json')).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }
        >
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/sandboxes',
        '/v1/sandboxes/{id}/exec',
        '/v1/events',
        '/v1/findings',
        '/metrics',
      ]),
    );
    const createSchema =
      doc.paths['/v1/sandboxes']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(createSchema?.properties ?? {})).toEqual(
      expect.arrayContaining(['policy', 'files', 'labels', 'ttlMs']),
    );
  });

  test('metrics count active sandboxes, flows, findings and exec latency', async () => {
    const { id } = await create();
    await json('POST', `/v1/sandboxes/${id}/exec`, { command: 'echo mount', stepId: 's1' });
    bus.publish({
      kind: 'net.flow',
      sandboxId: id,
      flowId: 'f1',
      address: '198.18.0.9',
      port: 3333,
      protocol: 'stratum',
      decision: 'deny',
      rule: 'default',
      bytesOut: 0,
      bytesIn: 0,
      durationMs: 0,
      phase: 'open',
    });
    const text = await (await app.request('/metrics', { headers: auth })).text();
    expect(text).toContain('cordon_active_sandboxes 1');
    expect(text).toContain('cordon_flows_total{decision="deny"} 1');
    expect(text).toContain('cordon_findings_total{category="escape"} 1');
    expect(text).toContain('cordon_exec_duration_seconds_count 1');
  });
});
