/**
 * createApp: the hono application of `cordon serve`, one router per resource under /v1 (the
 * episodes router mounts beside them later). No sockets here; start.ts listens.
 */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { CordonError } from '../errors.js';
import { bearerAuth } from './auth.js';
import type { ServerContext } from './context.js';
import { sendError, toCordonError } from './http-errors.js';
import { Metrics } from './metrics.js';
import { eventRoutes } from './routes/events.js';
import { findingRoutes } from './routes/findings.js';
import { metaRoutes } from './routes/meta.js';
import { sandboxRoutes, worstSeverityVerdict } from './routes/sandboxes.js';
import { uiRoutes } from './routes/ui.js';
import { DEFAULT_LIMITS, type AppDeps } from './types.js';

/** Routes anyone may call without the token. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/v1/health', '/v1/openapi.json']);

export interface CreateAppOptions extends AppDeps {
  metrics?: Metrics | undefined;
  /** Extra routers under /v1 (e.g. `episodes`), mounted at `/v1/<name>`. */
  routers?: Record<string, Hono> | undefined;
  /** Operational log (pino); internal errors are logged here, never sent to the client. */
  logger?: Pick<Logger, 'error'> | undefined;
}

/**
 * @example
 * const app = createApp({ bus, sandboxes, history, token });
 * const res = await app.request('/v1/sandboxes', { headers: { authorization: `Bearer ${token}` } });
 */
export function createApp(deps: CreateAppOptions): Hono {
  const ctx: ServerContext = {
    deps,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    metrics: deps.metrics ?? new Metrics(deps.bus),
    verdictOf: deps.verdictOf ?? worstSeverityVerdict,
  };
  const app = new Hono();
  app.onError((error, c) => {
    const cordonError = toCordonError(error);
    if (cordonError.statusCode >= 500) {
      deps.logger?.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    }
    return sendError(c, cordonError);
  });
  app.notFound((c) =>
    sendError(c, new CordonError('CORDON_E_NOT_FOUND', `No route ${c.req.method} ${c.req.path}`)),
  );
  app.route('/', uiRoutes()); // the dashboard's static files; before auth: the page holds no data
  if (deps.token !== undefined) app.use('*', bearerAuth(deps.token, OPEN_PATHS));
  app.route('/', metaRoutes(ctx));
  app.route('/v1/sandboxes', sandboxRoutes(ctx));
  app.route('/v1/findings', findingRoutes(ctx));
  app.route('/v1/events', eventRoutes(ctx));
  for (const [name, router] of Object.entries(deps.routers ?? {})) app.route(`/v1/${name}`, router);
  return app;
}
