import { describe, expect, test } from 'vitest';
import type { LifecycleEvent } from '../events/index.js';
import { SandboxState, isWriteAccess } from './state.js';
import { T0, exec, file, flow, sample, write } from './test-kit.js';

const step = (kind: LifecycleEvent['kind'], ts: number): LifecycleEvent => ({
  id: `l${ts}`,
  ts,
  sandboxId: 'sb-test',
  kind,
});

describe('SandboxState', () => {
  test('keeps the process tree: parents, children, siblings, exec replacing the image', () => {
    const s = new SandboxState('sb', undefined);
    s.apply(exec(['bash'], { pid: 10, ppid: 1 }));
    s.apply(exec(['make'], { pid: 11, ppid: 10 }));
    s.apply(exec(['cc'], { pid: 12, ppid: 11 }));
    s.apply(exec(['cc'], { pid: 13, ppid: 11 }));
    s.apply(exec(['/usr/bin/ld'], { pid: 13, ppid: 11, exe: '/usr/bin/ld' }));
    expect(s.ancestors(12).map((p) => p.pid)).toEqual([11, 10]);
    expect(s.process(11)?.children).toEqual([12, 13]);
    expect(s.siblings(12).map((p) => p.pid)).toEqual([13]);
    expect(s.process(13)?.exe).toBe('/usr/bin/ld');
    expect(s.pidsOfExe('/usr/bin/ld')).toEqual([13]);
  });

  test('averages CPU over a sliding window and tracks whether the command returned', () => {
    const s = new SandboxState('sb', undefined);
    for (let t = 0; t <= 10_000; t += 1_000)
      s.apply(sample(t < 6_000 ? 1 : 0.2, t >= 6_000, T0 + t));
    const w = s.cpu(5_000);
    expect(w.samples).toBe(5);
    expect(w.avgCores).toBeCloseTo(0.2);
    expect(w.allAfterCommand).toBe(true);
    expect(s.commandReturned).toBe(true);
    s.apply(step('step.start', T0 + 11_000));
    expect(s.commandReturned).toBe(false);
  });

  test('remembers files created during the run, not files read', () => {
    const s = new SandboxState('sb', undefined);
    s.apply(write('/tmp/x', { exe: '/usr/bin/curl' }));
    s.apply(file('/tmp/y'));
    expect(s.fileCreated('/tmp/x')?.exe).toBe('/usr/bin/curl');
    expect(s.fileCreated('/tmp/y')).toBeUndefined();
    expect(isWriteAccess('open', 0o101)).toBe(true);
    expect(isWriteAccess('open', 0)).toBe(false);
    expect(isWriteAccess('unlink', undefined)).toBe(false);
  });

  test('stays bounded however many flows arrive', () => {
    const s = new SandboxState('sb', undefined);
    for (let i = 0; i < 30_000; i += 1) s.apply(flow({ ts: T0 + i, port: i % 65535 }));
    expect(s.flows().length).toBeLessThanOrEqual(5_000);
    expect(s.deniedFlows(T0 + 29_990)).toHaveLength(10);
  });
});
