/** `cordon policy check FILE` and `cordon policy show [--preset NAME] [FILE]`. */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import {
  loadPolicyFile,
  policyDigest,
  presetPolicy,
  PresetNameSchema,
} from '../../policy/index.js';
import { CordonError } from '../../errors.js';
import { paint } from '../output.js';

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('check and show sandbox policies');

  policy
    .command('check')
    .argument('<file>', 'policy file (YAML or JSON)')
    .description('validate a policy file; prints every problem as path: message')
    .action((file: string) => {
      const p = loadPolicyFile(file);
      process.stdout.write(
        `${paint.green('ok')} ${file}: preset ${p.preset}, ${policyDigest(p)}\n`,
      );
    });

  policy
    .command('show')
    .argument('[file]', 'policy file to resolve over its preset')
    .option('--preset <name>', 'show a built-in preset (strict, dev, rollout)')
    .option('--json', 'print JSON instead of YAML')
    .description('print the fully resolved policy')
    .action((file: string | undefined, opts: { preset?: string; json?: boolean }) => {
      let p;
      if (file) p = loadPolicyFile(file);
      else {
        const name = PresetNameSchema.safeParse(opts.preset ?? 'strict');
        if (!name.success)
          throw new CordonError('CORDON_E_PRESET_UNKNOWN', `No such preset: ${opts.preset}`);
        p = presetPolicy(name.data);
      }
      process.stdout.write(opts.json ? JSON.stringify(p, null, 2) + '\n' : stringify(p));
    });
}
