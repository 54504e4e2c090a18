/**
 * Loading a command's implementation when it runs, not when the CLI starts: every command's
 * options and help are registered up front, but `--help`, `--version` and each command import
 * only the library they use (zod, the server, the audit store... cost ~0.4 s of module loading).
 */

/**
 * Wraps the loader of an action so that commander awaits the import, then the action.
 * @example .action(lazyAction(async () => (await import('../actions/run.js')).runAction))
 */
export function lazyAction<A extends unknown[]>(
  load: () => Promise<(...args: A) => void | Promise<void>>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const action = await load();
    await action(...args);
  };
}
