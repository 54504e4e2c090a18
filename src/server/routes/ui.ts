/**
 * The dashboard's static files (the Vite build in dist/ui) at `/`. Mounted before the bearer check:
 * the page itself holds no data, it reads the token from its URL fragment and calls /v1 with it.
 * Only `/`, `/index.html` and `/assets/<name>` are served; everything else falls through.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

// The page renders agent-controlled strings (argv, host names): no inline script may ever run.
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;

/**
 * Where the built dashboard is: `$CORDON_UI_DIR`, else the first `dist/ui` holding an index.html
 * above this module (works from src/ under vitest and from dist/src/ once built).
 */
export function findUiDir(): string | undefined {
  const fromEnv = process.env.CORDON_UI_DIR;
  if (fromEnv) return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'dist', 'ui');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>cordon</title>
<p>The cordon dashboard is not built. Run <code>npm run build</code> (or
<code>npx vite build --config src/ui/vite.config.ts</code>) and reload.</p>`;

async function sendFile(c: Context, file: string, cache: string): Promise<Response> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return c.notFound();
  }
  return c.body(new Uint8Array(bytes), 200, {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': cache,
  });
}

/**
 * @example app.route('/', uiRoutes()); // before the bearer middleware
 */
export function uiRoutes(options: { uiDir?: string | undefined } = { uiDir: findUiDir() }): Hono {
  const { uiDir } = options;
  const app = new Hono();
  const index = (c: Context): Promise<Response> | Response =>
    uiDir === undefined
      ? c.html(NOT_BUILT, 404, SECURITY_HEADERS)
      : sendFile(c, join(uiDir, 'index.html'), 'no-cache');
  app.get('/', index);
  app.get('/index.html', index);
  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    if (uiDir === undefined || !ASSET_NAME.test(name)) return c.notFound();
    // Vite puts a content hash in every asset name, so they never change under one URL.
    return sendFile(c, join(uiDir, 'assets', name), 'public, max-age=31536000, immutable');
  });
  return app;
}
