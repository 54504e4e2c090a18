import { describe, expect, test } from 'vitest';
import { ownerAlive, ownerTag, slotOfAddress, slotSpec } from './netns.js';

describe('slotSpec', () => {
  test('gives each slot its own /30 in 198.19.0.0/16 and names that fit IFNAMSIZ', () => {
    expect(slotSpec(1)).toMatchObject({
      netnsName: 'cordon-1',
      netnsPath: '/run/netns/cordon-1',
      vethHost: 'cdn1',
      hostAddress: '198.19.0.5',
      sandboxAddress: '198.19.0.6',
    });
    const last = slotSpec(16383);
    expect(last).toMatchObject({ hostAddress: '198.19.255.253', sandboxAddress: '198.19.255.254' });
    expect(last.vethHost.length).toBeLessThanOrEqual(15);
  });

  test('maps a veth address back to its slot, and nothing else', () => {
    for (const slot of [1, 63, 64, 1000, 16383]) {
      const s = slotSpec(slot);
      expect(slotOfAddress(s.sandboxAddress)).toBe(slot);
      expect(slotOfAddress(s.hostAddress)).toBe(slot);
    }
    expect(slotOfAddress('198.18.0.6')).toBeUndefined();
    expect(slotOfAddress('198.19.0.1')).toBeUndefined(); // slot 0 is never used
  });

  test('rejects slots outside the range', () => {
    expect(() => slotSpec(0)).toThrow(/out of range/);
    expect(() => slotSpec(16384)).toThrow(/out of range/);
  });
});

describe('owner tags', () => {
  test('this process is alive; a pid above pid_max or a wrong start time is not', () => {
    expect(ownerAlive(ownerTag())).toBe(true);
    expect(ownerAlive('cordon:4194305:1')).toBe(false);
    expect(ownerAlive(`cordon:${process.pid}:1`)).toBe(false);
    expect(ownerAlive('')).toBe(false);
  });
});
