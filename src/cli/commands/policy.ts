/** `cordon policy check|show`: their options and help; the work is in ../actions/policy.ts. */
import type { Command } from 'commander';
import { lazyAction } from '../lazy.js';

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('check and show sandbox policies');

  policy
    .command('check')
    .argument('<file>', 'policy file (YAML or JSON)')
    .description('validate a policy file; prints every problem as path: message')
    .action(lazyAction(async () => (await import('../actions/policy.js')).policyCheckAction));

  policy
    .command('show')
    .argument('[file]', 'policy file to resolve over its preset')
    .option('--preset <name>', 'show a built-in preset (strict, dev, rollout)')
    .option('--json', 'print JSON instead of YAML')
    .description('print the fully resolved policy')
    .action(lazyAction(async () => (await import('../actions/policy.js')).policyShowAction));
}
