/**
 * The runtime wires the layers: a run's report carries its denied syscalls, findings, verdict and the
 * coverage of each signal; a policy asking for egress that cannot be policed is refused.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CordonError } from '../../src/errors.js';
import { resolvePolicy } from '../../src/policy/index.js';
import { CordonRuntime } from '../../src/runtime/index.js';

const READY = existsSync('/usr/bin/bwrap') && process.getuid?.() === 0;

describe.skipIf(!READY)('CordonRuntime (needs bwrap and root)', () => {
  let runtime: CordonRuntime;
  beforeAll(async () => {
    runtime = await CordonRuntime.start({ network: 'loopback', monitor: 'proc' });
  });
  afterAll(async () => {
    await runtime.close();
  });

  test('a denied unshare ends up in the report as a denied syscall and an escape finding, verdict rogue', async () => {
    const { result, report } = await runtime.run(['sh', '-c', 'unshare -U true; echo after'], {
      policy: resolvePolicy({ detect: { actions: { escape: 'alert' } } }),
      capture: true,
    });
    expect(result.stdout).toContain('after');
    expect(report.deniedSyscalls.map((s) => s.syscall)).toContain('unshare');
    expect(report.findings.some((f) => f.category === 'escape')).toBe(true);
    expect(report.verdict).toBe('rogue');
    expect(report.coverage.seccomp?.live).toBe(true);
    expect(report.coverage.network).toMatchObject({ live: false });
    expect(report.network.mode).toBe('loopback');
    expect(existsSync(report.workspace)).toBe(false);
  });

  test('refuses a policy that allows egress when the network cordon is off, and runs nothing', async () => {
    const before = runtime.bus.listenerCount;
    const policy = resolvePolicy({ network: { allow: ['registry.test:80'] } });
    const attempt = runtime.run(['sh', '-c', 'echo ran'], { policy, capture: true });
    await expect(attempt).rejects.toBeInstanceOf(CordonError);
    await expect(attempt).rejects.toMatchObject({ code: 'CORDON_E_NETWORK_SETUP' });
    expect(runtime.bus.listenerCount).toBe(before);
  });
});
