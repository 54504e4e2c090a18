/**
 * Every benchmark runs: the short mode of each benchmark function, in-process, returns rows with
 * finite numbers (peers measured in the same run); the capability matrix's probes judge by effect
 * (bare bwrap leaks the host environment, cordon does not; cordon's upstream receives no stratum).
 * Benchmarks that create network namespaces run only inside scripts/isolated.sh.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { formatTable, type Row } from '../../bench/harness.js';
import { formatMatrix, runMatrix } from '../../bench/matrix.js';
import { PeerContext } from '../../bench/peers/index.js';
import { BENCHMARKS } from '../../bench/suite.js';
import { cordonPackageRoot } from '../../src/sandbox/index.js';

const ISOLATED = process.env.CORDON_ISOLATED === '1';
const NOT_ISOLATED = 'creates network namespaces: run inside scripts/isolated.sh';
const BUILT = existsSync(join(cordonPackageRoot(), 'dist', 'src', 'cli', 'main.js'));
const ROOT = process.getuid?.() === 0;

const peers = new PeerContext(true);
afterAll(() => peers.close());

function expectNumbers(rows: Row[]): void {
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect(row.cordon, row.id).not.toBeNull();
    expect(Number.isFinite(row.cordon?.median), `${row.id} median`).toBe(true);
    for (const [name, peer] of Object.entries(row.peers)) {
      // A peer either has a number or says why it has none.
      expect(peer.value !== null || !!peer.note, `${row.id} / ${name}`).toBe(true);
    }
  }
  expect(formatTable(rows)).toContain(rows[0]!.benchmark);
}

describe('npm run bench --short: each benchmark returns numbers', () => {
  for (const bench of BENCHMARKS) {
    const skip = (bench.isolated && !ISOLATED) || !ROOT || (bench.name === 'cli' && !BUILT);
    test.skipIf(skip)(
      `${bench.name}${bench.isolated && !ISOLATED ? ` (skipped: ${NOT_ISOLATED})` : ''}${
        bench.name === 'cli' && !BUILT ? ' (skipped: needs `npm run build` for ./cordon)' : ''
      }`,
      async () => {
        const rows = await bench.run({ short: true, peers });
        // episodes may not have landed: an empty list is allowed only for it.
        if (bench.name === 'episodes' && rows.length === 0) return expect(rows).toEqual([]);
        expectNumbers(rows);
      },
      120_000,
    );
  }
});

describe('capability matrix', () => {
  test.skipIf(!ISOLATED || !ROOT)(
    `probes judge by effect: bare bwrap leaks the host environment, cordon forwards no stratum (${NOT_ISOLATED})`,
    async () => {
      const rows = await runMatrix({ peers, only: ['env-secret', 'stratum-443'] });
      const [env, stratum] = rows;
      expect(env?.cells.cordon?.blocked).toBe(true);
      expect(env?.cells['bare bwrap']?.blocked).toBe(false);
      expect(stratum?.cells.cordon?.blocked).toBe(true);
      expect(stratum?.cells.cordon?.detail).toContain('upstream received 0 B');
      expect(stratum?.cells.cordon?.reported).toMatch(/mining|stratum/);
      expect(formatMatrix(rows)).toContain('NOT blocked');
    },
    120_000,
  );
});
