/**
 * `node --import ./register.mjs ENTRY.ts`: runs cordon's TypeScript sources directly and writes
 * the URL of every module the process loads, one a line, to $CORDON_MODULE_LOG. ES modules are
 * logged as they resolve (hooks.mjs); CommonJS ones (required, or imported from ESM) at exit,
 * from the require cache, since Node 20's resolve hook never sees a `require`.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const log = process.env.CORDON_MODULE_LOG;
if (!log) throw new Error('register.mjs: set CORDON_MODULE_LOG to the file to log modules to');
register('./hooks.mjs', import.meta.url, { data: { log } });

const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const lines = Object.keys(cache).map((file) => `${pathToFileURL(file).href}\n`);
  appendFileSync(log, lines.join(''));
});
