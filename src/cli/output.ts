/** How the CLI talks to people: errors as `cordon: CODE: message`, problems as `path: message`. */
import { isCordonError, ValidationError } from '../errors.js';
import { EXIT } from './exit-codes.js';

const useColor = process.stderr.isTTY && !process.env.NO_COLOR;
export const paint = {
  red: (s: string) => (useColor ? `\x1b[31m${s}\x1b[0m` : s),
  green: (s: string) => (useColor ? `\x1b[32m${s}\x1b[0m` : s),
  yellow: (s: string) => (useColor ? `\x1b[33m${s}\x1b[0m` : s),
  bold: (s: string) => (useColor ? `\x1b[1m${s}\x1b[0m` : s),
  dim: (s: string) => (useColor ? `\x1b[2m${s}\x1b[0m` : s),
};

/** Prints an error for a person and returns the exit status it maps to. */
export function reportError(error: unknown): number {
  if (error instanceof ValidationError) {
    process.stderr.write(`cordon: ${error.code}: ${error.problems.length} problem(s)\n`);
    for (const p of error.problems) process.stderr.write(`  ${p.path}: ${p.message}\n`);
    return EXIT.USAGE;
  }
  if (isCordonError(error)) {
    process.stderr.write(`cordon: ${error.code}: ${error.message}\n`);
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    if (cause) process.stderr.write(`  cause: ${cause}\n`);
    return error.code === 'CORDON_E_USAGE' ||
      error.code === 'CORDON_E_POLICY_NOT_FOUND' ||
      error.code === 'CORDON_E_PRESET_UNKNOWN'
      ? EXIT.USAGE
      : EXIT.CORDON_FAILURE;
  }
  process.stderr.write(
    `cordon: CORDON_E_INTERNAL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.CORDON_FAILURE;
}
