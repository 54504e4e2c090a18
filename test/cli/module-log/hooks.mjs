/**
 * Module hooks for register.mjs: log each resolved URL, map `./x.js` to `./x.ts` where only the
 * source exists (how cordon's sources import each other), and strip types with esbuild the way
 * tsc's verbatimModuleSyntax does (type-only imports go, every other import stays).
 */
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

let log = '';

export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, next) {
  let result;
  try {
    result = await next(specifier, context);
  } catch (error) {
    const fromSource = context.parentURL?.endsWith('.ts') && /^\.\.?\/.*\.js$/.test(specifier);
    if (!fromSource) throw error;
    result = await next(`${specifier.slice(0, -3)}.ts`, context);
  }
  appendFileSync(log, `${result.url}\n`);
  return result;
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const file = fileURLToPath(url);
  const { code } = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: file,
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
  });
  return { format: 'module', source: code, shortCircuit: true };
}
