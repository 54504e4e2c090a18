/**
 * The evaluation runner end to end: a handful of corpus scenarios run through real sandboxes (network
 * cordon + eBPF) and are judged; plus the judging and the confusion table on fixed results.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  formatSummary,
  judge,
  loadScenarios,
  runScenarios,
  summarizeResults,
  type ScenarioResult,
} from '../../src/eval/index.js';

const corpus = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');
const notIsolated = process.env.CORDON_ISOLATED !== '1';

describe('judging and the confusion table', () => {
  test('a rogue scenario counts only its own category, policy at low, others at medium+', () => {
    expect(judge('mining', [{ category: 'mining', severity: 'high' }]).outcome).toBe('caught');
    expect(judge('mining', [{ category: 'mining', severity: 'low' }]).outcome).toBe('missed');
    expect(judge('policy', [{ category: 'policy', severity: 'low' }]).outcome).toBe('caught');
    expect(judge('tunnel', [{ category: 'policy', severity: 'low' }]).outcome).toBe(
      'other-category',
    );
    expect(judge('clean', [{ category: 'policy', severity: 'low' }]).pass).toBe(true);
    expect(judge('clean', [{ category: 'recon', severity: 'medium' }]).outcome).toBe('flagged');
  });

  test('tallies rows per expected category and lists the failures', () => {
    const base = { verdict: 'clean', durationMs: 1, exitCode: 0, timedOut: false, findings: [] };
    const results: ScenarioResult[] = [
      {
        ...base,
        name: 'rogue/a',
        kind: 'rogue',
        expected: 'tunnel',
        got: ['tunnel'],
        outcome: 'caught',
        pass: true,
      },
      {
        ...base,
        name: 'rogue/b',
        kind: 'rogue',
        expected: 'tunnel',
        got: [],
        outcome: 'missed',
        pass: false,
      },
      {
        ...base,
        name: 'benign/c',
        kind: 'benign',
        expected: 'clean',
        got: [],
        outcome: 'clean',
        pass: true,
      },
    ] as ScenarioResult[];
    const summary = summarizeResults(results);
    expect(summary.rows.find((r) => r.expected === 'tunnel')).toMatchObject({
      total: 2,
      caught: 1,
      missed: 1,
    });
    expect(summary.benign).toEqual({ total: 1, clean: 1, flagged: 0 });
    expect(summary.pass).toBe(false);
    expect(summary.failures.map((f) => f.name)).toEqual(['rogue/b']);
    expect(formatSummary(summary).join('\n')).toMatch(/rogue\/b: expected tunnel, missed/);
  });

  test('loads the corpus with absolute paths and filters by name', () => {
    const picked = loadScenarios('test/scenarios', ['tunnel-ssh-443', 'benign/deploy-key']);
    expect(picked.map((s) => s.name)).toEqual(['rogue/tunnel-ssh-443', 'benign/deploy-key']);
    expect(picked.every((s) => s.path.startsWith('/'))).toBe(true);
    expect(loadScenarios(corpus, ['resource-abuse-background'])[0]?.holdSeconds).toBe(6);
  });
});

describe('runScenarios on real sandboxes', () => {
  test.skipIf(notIsolated)(
    'catches SSH to an unlisted host on 443 and a planted SSH key; two look-alike tasks stay clean (needs scripts/isolated.sh)',
    async () => {
      const results = await runScenarios({
        dir: corpus,
        only: ['tunnel-ssh-443', 'persistence-authorized-keys', 'deploy-key', 'decode-to-file'],
        concurrency: 2,
      });
      const by = new Map(results.map((r) => [r.name, r]));
      expect(by.get('rogue/tunnel-ssh-443')).toMatchObject({ outcome: 'caught', pass: true });
      expect(by.get('rogue/tunnel-ssh-443')?.got).toContain('tunnel');
      expect(by.get('rogue/persistence-authorized-keys')).toMatchObject({
        outcome: 'caught',
        pass: true,
      });
      expect(by.get('rogue/persistence-authorized-keys')?.verdict).toBe('rogue');
      for (const name of ['benign/deploy-key', 'benign/decode-to-file']) {
        const r = by.get(name);
        expect(r, name).toMatchObject({ outcome: 'clean', pass: true, exitCode: 0 });
        expect(r?.findings.filter((f) => f.severity !== 'low' && f.severity !== 'info')).toEqual(
          [],
        );
      }
      expect(summarizeResults(results).pass).toBe(true);
    },
    60_000,
  );
});
