import { expect, test } from 'vitest';
import { CordonError } from '../errors.js';
import { WatchRegistry, type WatchEntry } from './watch-registry.js';

const entry = (n: number): WatchEntry => ({
  sandboxId: `sb-${n}`,
  cgroupId: 1000 + n,
  attribution: () => ({ sandboxId: `sb-${n}` }),
});

test('a registry at its capacity refuses the next sandbox instead of leaving it untraced', () => {
  const registry = new WatchRegistry(2);
  const off = registry.add(entry(1));
  registry.add(entry(2));
  let refused: unknown;
  try {
    registry.add(entry(3));
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(CordonError);
  expect((refused as CordonError).code).toBe('CORDON_E_MONITOR_UNAVAILABLE');
  expect(registry.ids().sort()).toEqual([1001, 1002]);
  off(); // a slot freed is usable again
  registry.add(entry(3));
  expect(registry.ids().sort()).toEqual([1002, 1003]);
});
