/** `cordon serve`: its options and help; the work is in ../actions/serve.ts. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy.js';
import { monitorOption, networkOption } from '../options.js';

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
    .action(lazyAction(async () => (await import('../actions/serve.js')).serveAction));
}
