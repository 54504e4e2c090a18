import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { CATEGORIES } from '../../policy/index.js';
import { RULES } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('the rule pack', () => {
  test('has unique ids of the form <ns>.<kebab>', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+\.[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  test.each(RULES.map((r) => [r.id, r] as const))(
    '%s is complete and has a test file',
    (_id, rule) => {
      expect(CATEGORIES).toContain(rule.category);
      expect(['info', 'low', 'medium', 'high', 'critical']).toContain(rule.severity);
      expect(rule.attack.length).toBeGreaterThan(0);
      for (const t of rule.attack) expect(t).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(rule.reason.length).toBeGreaterThan(10);
      expect(rule.kinds.length).toBeGreaterThan(0);
      const file = rule.id.split('.')[1]!;
      expect(
        existsSync(join(here, rule.category, `${file}.ts`)),
        `rules/${rule.category}/${file}.ts`,
      ).toBe(true);
      expect(
        existsSync(join(here, rule.category, `${file}.test.ts`)),
        `rules/${rule.category}/${file}.test.ts`,
      ).toBe(true);
    },
  );

  test('covers every category but none invented', () => {
    const used = new Set(RULES.map((r) => r.category));
    for (const c of CATEGORIES) expect(used, c).toContain(c);
  });
});
