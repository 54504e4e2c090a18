/** GET /v1/findings: findings from the history, filtered by sandbox, episode, category, severity. */
import { Hono } from 'hono';
import type { ServerContext } from '../context.js';
import { FindingsQuerySchema, parseOr } from '../schemas.js';

export function findingRoutes(ctx: ServerContext): Hono {
  const app = new Hono();
  app.get('/', (c) => {
    const q = parseOr(FindingsQuerySchema, c.req.query());
    ctx.deps.history.flush();
    const findings = ctx.deps.history.findings({
      sandboxId: q.sandboxId,
      episodeId: q.episodeId,
      category: q.category,
      minSeverity: q.severity,
      limit: q.limit ?? 1000,
    });
    return c.json({ findings });
  });
  return app;
}
