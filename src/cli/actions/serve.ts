/**
 * `cordon serve`: the HTTP API, live events and the dashboard (its options are in
 * ../commands/serve.ts).
 */
import { defaultDataDir } from '../../audit/index.js';
import { CordonRuntime, type MonitorMode, type NetworkMode } from '../../runtime/index.js';
import { episodeRouter, startServer } from '../../server/index.js';
import { paint } from '../output.js';

export interface ServeFlags {
  listen: string;
  dataDir?: string;
  network: NetworkMode;
  monitor: MonitorMode;
}

/** Serves until SIGINT or SIGTERM, then closes the server and the runtime. */
export async function serveAction(flags: ServeFlags): Promise<void> {
  const dataDir = flags.dataDir ?? defaultDataDir();
  const runtime = await CordonRuntime.start({
    network: flags.network,
    monitor: flags.monitor,
    dataDir,
    onWarning: (m) => process.stderr.write(paint.dim(`cordon: ${m}\n`)),
  });
  const episodes = episodeRouter({ runtime });
  const server = await startServer({
    listen: flags.listen,
    dataDir,
    cordon: runtime,
    routers: { episodes: episodes.app },
  });
  process.stderr.write(`${paint.bold('cordon serve')} listening on ${server.url}\n`);
  process.stderr.write(`  dashboard: ${server.url}/#token=${server.token}\n`);
  process.stderr.write(
    `  API:       ${server.url}/v1 (Authorization: Bearer <token in ${dataDir}/token>)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await episodes.close();
  await runtime.close();
}
