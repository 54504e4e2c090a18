/** `cordon demo isolation`: its help; the work is in ../actions/demo.ts. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy.js';

export function registerDemoCommand(program: Command): void {
  const demo = program.command('demo').description('demonstrations of what cordon stops');
  demo
    .command('isolation')
    .description('try what a rogue agent tries, each in its own sandbox, and show what cordon did')
    .action(lazyAction(async () => (await import('../actions/demo.js')).demoIsolationAction));
}
