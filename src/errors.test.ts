import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ERROR_CODES } from './errors.js';

test('every error code is documented in docs/errors.md with its HTTP status', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    expect(doc, code).toMatch(new RegExp('`' + code + '` \\| ' + String(status) + ' \\|'));
  }
});
