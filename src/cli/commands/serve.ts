/** `cordon serve`: the HTTP API, live events and the dashboard. */
import type { Command } from 'commander';
import { defaultDataDir } from '../../audit/index.js';
import { CordonRuntime, type MonitorMode, type NetworkMode } from '../../runtime/index.js';
import { episodeRouter, startServer } from '../../server/index.js';
import { paint } from '../output.js';
import { monitorOption, networkOption } from '../options.js';

interface ServeFlags {
  listen: string;
  dataDir?: string;
  network: NetworkMode;
  monitor: MonitorMode;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (/v1), live events and the dashboard (/)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7777')
    .option(
      '--data-dir <dir>',
      'audit store and token directory (default: /var/lib/cordon for root)',
    )
    .addOption(networkOption())
    .addOption(monitorOption())
    .action(async (flags: ServeFlags) => {
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
    });
}
