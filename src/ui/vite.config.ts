/**
 * The dashboard's own build: plain TypeScript and CSS from src/ui into dist/ui, served by
 * `cordon serve` at `/`. No CDN, no external font, no inline script (the server sends a strict CSP).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Vite's preload polyfill would be an inline script; every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
