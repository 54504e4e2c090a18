import { describe, expect, test } from 'vitest';
import { benchAudit } from '../../bench/audit.js';

const BENCH = process.env.CORDON_BENCH === '1';

describe('audit benchmark', () => {
  test('stores and verifies every event it times', () => {
    const result = benchAudit({ events: 5000 });
    expect(result).toMatchObject({ events: 5000, verified: true });
    expect(result.eventsPerSec).toBeGreaterThan(0);
  });

  test.skipIf(!BENCH)(
    'sustains at least 100,000 events/s into the chained store (CORDON_BENCH=1 only: timing)',
    () => {
      const result = benchAudit({ short: process.env.CORDON_BENCH_SHORT === '1' });
      console.log('audit bench', JSON.stringify(result));
      expect(result.verified).toBe(true);
      expect(result.eventsPerSec).toBeGreaterThanOrEqual(100_000);
    },
    600_000,
  );
});
