/**
 * The dashboard end to end: a real `cordon serve` (startServer) serving a fresh Vite build of
 * src/ui, Debian's Chromium driven by playwright-core, a rogue command run in a real sandbox
 * through the API. The finding must reach the page within seconds, read as a sentence, open into
 * its evidence, and the page must log no console error or failed request.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CordonClient } from '../../src/client/index.js';
import { nativeHelperPath, probeHost } from '../../src/sandbox/index.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/cordon-dashboard.png';
const OVERVIEW_SCREENSHOT = '/tmp/cordon-dashboard-overview.png';

function canSandbox(): boolean {
  try {
    return existsSync(nativeHelperPath('cordon-init')) && probeHost().bwrap !== null;
  } catch {
    return false;
  }
}
const HAS_CHROMIUM = existsSync(CHROMIUM);
const READY = HAS_CHROMIUM && canSandbox();
const REASON = !HAS_CHROMIUM
  ? `needs Debian's chromium at ${CHROMIUM} (apt-get install chromium)`
  : 'needs bwrap and the native helpers (make -C native)';

let tmp: string;
let server: RunningServer;
let client: CordonClient;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const savedUiDir = process.env.CORDON_UI_DIR;

describe.skipIf(!READY)(`dashboard in Chromium (${READY ? 'ready' : REASON})`, () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'cordon-ui-e2e-'));
    const uiDir = join(tmp, 'ui');
    // Build what is in src/ui now, not whatever dist/ui an earlier build left behind.
    await build({
      configFile: resolve('src/ui/vite.config.ts'),
      build: { outDir: uiDir, emptyOutDir: true },
      logLevel: 'error',
    });
    process.env.CORDON_UI_DIR = uiDir;
    server = await startServer({ listen: '127.0.0.1:0', dataDir: join(tmp, 'data') });
    client = new CordonClient({ url: server.url, token: server.token });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (savedUiDir === undefined) delete process.env.CORDON_UI_DIR;
    else process.env.CORDON_UI_DIR = savedUiDir;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a rogue step shows up live as a finding, opens into its evidence, with no console error', async () => {
    await page.goto(`${server.url}/#token=${server.token}`);
    await page.locator('[data-testid=connection][data-state=live]').waitFor({ timeout: 10_000 });
    // The token leaves the address bar at once (kept in sessionStorage for this tab only).
    expect(page.url()).not.toContain(server.token);

    const sb = await client.createSandbox({ labels: { episodeId: '12' } });
    await client.exec(sb.id, { command: 'echo fetching the dataset', stepId: '3' });
    const started = Date.now();
    const rogue = await client.exec(sb.id, {
      command: 'mount -t tmpfs none /mnt; echo rc=$?',
      stepId: '4',
    });
    expect(rogue.findings.map((f) => f.category)).toContain('escape');

    // Live: the overview lists the finding as a sentence, the sidebar turns the sandbox red.
    const finding = page.locator('[data-testid=finding][data-category=escape]').first();
    await finding.waitFor({ timeout: 5_000 });
    const seenMs = Date.now() - started;
    await expect
      .poll(() => finding.textContent())
      .toMatch(/episode 12, step 4: mount\(\) denied by seccomp/);
    const row = page.locator(`[data-testid=sandbox-row][data-sandbox-id="${sb.id}"]`);
    await expect.poll(() => row.getAttribute('data-verdict'), { timeout: 5_000 }).toBe('rogue');
    await page.screenshot({ path: OVERVIEW_SCREENSHOT });

    // Filters: another category hides it; back to all shows it again.
    await page.selectOption('select[name=category]', 'mining');
    await expect.poll(() => page.locator('[data-testid=finding]').count()).toBe(0);
    await page.selectOption('select[name=category]', '');
    await expect.poll(() => page.locator('[data-testid=finding]').count()).toBeGreaterThan(0);

    // An argv that looks like markup stays text (the page builds no element from agent strings).
    await client.exec(sb.id, { argv: ['echo', '<img src=x onerror=alert(1)>'], stepId: '5' });

    // The sandbox's timeline: steps in order, the rogue one headed by its finding.
    await row.click();
    const step4 = page.locator('[data-testid=step][data-step-id="4"]');
    await step4.waitFor({ timeout: 5_000 });
    expect(await step4.textContent()).toMatch(/episode 12, step 4: mount\(\) denied by seccomp/);
    await page.locator('[data-testid=step][data-step-id="5"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('[data-testid=step][data-step-id="5"]').textContent()).toContain(
      '<img src=x onerror=alert(1)>',
    );
    expect(await page.locator('main img').count()).toBe(0);
    const stepIds = await Promise.all(
      (await page.locator('[data-testid=step]').all()).map((l) => l.getAttribute('data-step-id')),
    );
    expect(stepIds.slice(0, 3)).toEqual(['3', '4', '5']);

    // The finding's detail: rule, evidence, and the event behind it.
    await step4.locator('[data-testid=finding]').first().click();
    const detail = page.locator('[data-testid=finding-detail]');
    await detail.waitFor({ timeout: 5_000 });
    expect(await detail.getAttribute('data-rule')).toBe('syscall.escape-syscall');
    expect(await detail.locator('[data-testid=evidence]').textContent()).toContain('mount');
    await expect
      .poll(() => detail.locator('[data-testid=finding-events]').textContent())
      .toContain('mount() denied by seccomp');

    await page.screenshot({ path: SCREENSHOT });
    console.log(`finding visible in the page ${seenMs} ms after the rogue exec began`);
    expect(problems).toEqual([]);
    await client.destroy(sb.id);
  });
});
