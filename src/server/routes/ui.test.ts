/**
 * The dashboard's static route: the page and its hashed assets are served without the token and
 * with a strict CSP; nothing else is (no traversal, /v1 still needs the token).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EventBus } from '../../events/index.js';
import { createApp } from '../app.js';
import { WorkspaceSandboxManager } from '../manager.js';
import { MemoryHistory } from '../memory-history.js';
import { fakeLaunch } from '../test-fakes.js';
import { uiRoutes } from './ui.js';

let dir: string;
let app: ReturnType<typeof createApp>;
let manager: WorkspaceSandboxManager;
const savedEnv = process.env.CORDON_UI_DIR;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cordon-ui-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>cordon</title>');
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'not for the web');
  process.env.CORDON_UI_DIR = dir;
  const bus = new EventBus();
  manager = new WorkspaceSandboxManager({
    bus,
    launch: fakeLaunch({ ids: [], destroyed: [] }),
    workspaceRoot: join(dir, 'ws'),
  });
  app = createApp({
    bus,
    sandboxes: manager,
    history: new MemoryHistory(bus),
    token: 'x'.repeat(20),
  });
});

afterAll(async () => {
  await manager.close();
  if (savedEnv === undefined) delete process.env.CORDON_UI_DIR;
  else process.env.CORDON_UI_DIR = savedEnv;
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard route', () => {
  test('serves the page without the token, with a CSP that forbids inline script', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'[;]/);
    expect(await res.text()).toContain('<title>cordon</title>');
  });

  test('serves hashed assets as immutable JavaScript', async () => {
    const res = await app.request('/assets/index-AbC123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cache-control')).toContain('immutable');
  });

  test('serves nothing outside assets and refuses traversal', async () => {
    for (const path of [
      '/secret.txt',
      '/assets/..%2Fsecret.txt',
      '/assets/%2e%2e%2fsecret.txt',
      '/assets/.hidden',
      '/assets/missing.js',
    ]) {
      const res = await app.request(path);
      expect([401, 404]).toContain(res.status);
      expect(await res.text()).not.toContain('not for the web');
    }
  });

  test('the API behind it still needs the token', async () => {
    expect((await app.request('/v1/sandboxes')).status).toBe(401);
    expect((await app.request('/metrics')).status).toBe(401);
  });

  test('says how to build the page when dist/ui is missing', async () => {
    const res = await uiRoutes({}).request('/');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('vite build');
  });
});
