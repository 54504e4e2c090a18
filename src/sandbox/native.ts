/**
 * Where cordon's native helpers live: `native/build/<name>` under the package root, found by
 * walking up from this module (works from `src/` under vitest and from `dist/` after tsc).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CordonError } from '../errors.js';

export type NativeHelper =
  'cordon-init' | 'cordon-launch' | 'orig_dst.node' | 'fast_spawn.node' | 'batch_reader.node';

let packageRoot: string | undefined;

function isCordonPackage(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'cordon';
  } catch {
    return false;
  }
}

/** The directory holding cordon's package.json. */
export function cordonPackageRoot(): string {
  if (packageRoot !== undefined) return packageRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (isCordonPackage(dir)) return (packageRoot = dir);
    const parent = dirname(dir);
    if (parent === dir) {
      throw new CordonError('CORDON_E_HELPER_MISSING', 'Cannot find the cordon package root', {
        details: { from: fileURLToPath(import.meta.url) },
      });
    }
    dir = parent;
  }
}

/**
 * Absolute path of a built native helper.
 * @throws CordonError CORDON_E_HELPER_MISSING when it has not been built.
 * @example
 *   spawn(nativeHelperPath('cordon-launch'), ['--', 'bwrap', ...args]);
 */
export function nativeHelperPath(name: NativeHelper): string {
  const path = join(cordonPackageRoot(), 'native', 'build', name);
  if (!existsSync(path)) {
    throw new CordonError(
      'CORDON_E_HELPER_MISSING',
      `Native helper ${name} is not built (${path}): run \`npm run build\` (or \`npm run build:native\`)`,
      { details: { helper: name, path } },
    );
  }
  return path;
}
