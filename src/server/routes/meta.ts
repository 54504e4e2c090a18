/** Health, the OpenAPI document and Prometheus metrics. */
import { Hono } from 'hono';
import type { ServerContext } from '../context.js';
import { openApiDocument } from '../openapi.js';

export function metaRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/v1/health', (c) => c.json({ ok: true }));
  app.get('/v1/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/metrics', (c) =>
    c.text(ctx.metrics.render(ctx.deps.sandboxes.list().length), 200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
    }),
  );
  return app;
}
