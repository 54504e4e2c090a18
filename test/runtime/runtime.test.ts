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

  test("under the /proc sampler, cordon's own launcher is not the agent: a run that outlives many samples stays clean", async () => {
    // The outer bwrap sits in the sandbox's cgroup with cordon's argv (every denyRead mask in it):
    // taken for the agent's, it read as a credential-file read and killed every run on eBPF-less hosts.
    const { result, report } = await runtime.run(['sh', '-c', 'sleep 0.8; echo done'], {
      capture: true,
    });
    expect(result.stdout).toContain('done');
    expect(result.killedByPolicy).toBe(false);
    expect(report.findings).toEqual([]);
    expect(report.verdict).toBe('clean');
    expect(report.coverage.exec).toMatchObject({ live: true, source: 'proc' });
  });

  test('under the /proc sampler, an agent binary named bwrap is still seen', async () => {
    // The scheme is assembled at run time so only the renamed process's argv holds it.
    const script =
      "cp /bin/sh ./bwrap && s=stratum && ./bwrap -c 'sleep 0.8; true' --url $s+tcp://pool.rogue.test:3333";
    const { report } = await runtime.run(['sh', '-c', script], { capture: true });
    const mining = report.findings.filter((f) => f.category === 'mining');
    expect(mining.map((f) => f.exe)).toContain('/workspace/bwrap');
  });

  test('CPU left burning by a live sandbox after its exec returned is found and killed; a busy exec that ends is not', async () => {
    const sandbox = await runtime.createSandbox();
    try {
      const hasFinding = () =>
        runtime.detector
          .findings(sandbox.sandboxId)
          .some((f) => f.rule === 'res.cpu-after-command');
      // A foreground burst that ends with its exec, then quiet: nothing to find.
      await sandbox.exec([
        'sh',
        '-c',
        'end=$(($(date +%s) + 2)); while [ $(date +%s) -lt $end ]; do :; done',
      ]);
      await new Promise((r) => setTimeout(r, 5500));
      expect(hasFinding()).toBe(false);
      // The same loop left running in the background.
      await sandbox.exec(['sh', '-c', 'while :; do :; done >/dev/null 2>&1 &']);
      const until = Date.now() + 10_000;
      while (!hasFinding() && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect(hasFinding()).toBe(true);
      // resource-abuse is killed by default: the loop is gone.
      const alive = await sandbox.exec([
        'sh',
        '-c',
        'ps -eo args | grep -c "^sh -c while" || true',
      ]);
      expect(alive.stdout?.trim()).toBe('0');
    } finally {
      await sandbox.destroy();
    }
  }, 30_000);

  test('refuses a policy that allows egress when the network cordon is off, and runs nothing', async () => {
    const before = runtime.bus.listenerCount;
    const policy = resolvePolicy({ network: { allow: ['registry.test:80'] } });
    const attempt = runtime.run(['sh', '-c', 'echo ran'], { policy, capture: true });
    await expect(attempt).rejects.toBeInstanceOf(CordonError);
    await expect(attempt).rejects.toMatchObject({ code: 'CORDON_E_NETWORK_SETUP' });
    expect(runtime.bus.listenerCount).toBe(before);
  });
});
