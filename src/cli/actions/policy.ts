/**
 * `cordon policy check FILE` and `cordon policy show [--preset NAME] [FILE]` (their options are
 * in ../commands/policy.ts).
 */
import { stringify } from 'yaml';
import {
  loadPolicyFile,
  policyDigest,
  presetPolicy,
  PresetNameSchema,
} from '../../policy/index.js';
import { CordonError } from '../../errors.js';
import { paint } from '../output.js';

/** Validates a policy file; prints its preset and digest. */
export function policyCheckAction(file: string): void {
  const p = loadPolicyFile(file);
  process.stdout.write(`${paint.green('ok')} ${file}: preset ${p.preset}, ${policyDigest(p)}\n`);
}

/** Prints the fully resolved policy of a file or a preset, as YAML or JSON. */
export function policyShowAction(
  file: string | undefined,
  opts: { preset?: string; json?: boolean },
): void {
  let p;
  if (file) p = loadPolicyFile(file);
  else {
    const name = PresetNameSchema.safeParse(opts.preset ?? 'strict');
    if (!name.success)
      throw new CordonError('CORDON_E_PRESET_UNKNOWN', `No such preset: ${opts.preset}`);
    p = presetPolicy(name.data);
  }
  process.stdout.write(opts.json ? JSON.stringify(p, null, 2) + '\n' : stringify(p));
}
