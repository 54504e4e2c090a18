/**
 * startServer: `cordon serve`. Listens (127.0.0.1:7777 by default) with the token from
 * `<dataDir>/token`, and tears everything down on close: sandboxes, detector, audit store.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { CordonError } from '../errors.js';
import type { EventBus } from '../events/index.js';
import { createApp } from './app.js';
import { loadOrCreateToken } from './auth.js';
import type { LaunchFn } from './manager.js';
import { createRuntime, type CordonRuntimeLike } from './runtime.js';
import type { Hono } from 'hono';
import { pino, type Logger } from 'pino';

export interface StartServerOptions {
  /** `host:port`; port 0 picks a free one. Default 127.0.0.1:7777. */
  listen?: string | undefined;
  dataDir: string;
  /** Use this token instead of the stored one. */
  token?: string | undefined;
  launch?: LaunchFn | undefined;
  audit?: boolean | undefined;
  /** Reuse the library's started CordonRuntime (network cordon, monitor, detector, audit). */
  cordon?: CordonRuntimeLike | undefined;
  /** Extra routers under /v1 (episodes). */
  routers?: Record<string, Hono> | undefined;
  /** Default: pino JSON to stderr at CORDON_LOG_LEVEL (info). */
  logger?: Logger | undefined;
}

export interface RunningServer {
  url: string;
  token: string;
  bus: EventBus;
  /** Where the sandboxes' workspaces live on the host. */
  workspaceRoot: string;
  close(): Promise<void>;
}

export function parseListen(listen: string): { hostname: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new CordonError('CORDON_E_USAGE', `--listen must be host:port, got ${listen}`);
  return { hostname: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/**
 * @example
 * const server = await startServer({ listen: '127.0.0.1:0', dataDir });
 * await fetch(`${server.url}/v1/sandboxes`, { headers: { authorization: `Bearer ${server.token}` } });
 * await server.close();
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { hostname, port } = parseListen(options.listen ?? '127.0.0.1:7777');
  const token = options.token ?? loadOrCreateToken(options.dataDir);
  const runtime = createRuntime({
    dataDir: options.dataDir,
    launch: options.launch,
    audit: options.audit,
    cordon: options.cordon,
  });
  const logger =
    options.logger ??
    pino(
      {
        name: 'cordon-serve',
        level: process.env.CORDON_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info'),
        redact: ['token', '*.token', 'req.headers.authorization'],
      },
      pino.destination(2),
    );
  const app = createApp({ ...runtime.deps, token, routers: options.routers, logger });
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname, port }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (error) {
    await runtime.close();
    throw new CordonError(
      'CORDON_E_USAGE',
      `Cannot listen on ${hostname}:${port}: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  const address = server.address() as AddressInfo;
  logger.info(
    { address: address.address, port: address.port, dataDir: options.dataDir },
    'listening',
  );
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    token,
    bus: runtime.deps.bus,
    workspaceRoot: runtime.workspaceRoot,
    close() {
      closing ??= (async () => {
        // SSE streams never end on their own: drop open connections, then stop listening.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
        await closed;
        await runtime.close();
      })();
      return closing;
    },
  };
}
