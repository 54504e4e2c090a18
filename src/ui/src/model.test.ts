/**
 * The dashboard's data model: sandboxes grouped by episode with verdicts, steps numbered, flows
 * folded, replays ignored, and the UI's copies of shared tables kept equal to the originals.
 */
import { describe, expect, test } from 'vitest';
import { verdictOf as detectVerdictOf } from '../../detect/index.js';
import { SEVERITIES } from '../../events/index.js';
import { CATEGORIES } from '../../policy/index.js';
import { CATEGORY_LIST, SEVERITY_ORDER, verdictOf } from './format.js';
import { DashboardModel } from './model.js';
import { SandboxTimeline } from './timeline.js';
import type { CordonEvent, Finding } from './types.js';

let n = 0;
const base = (sandboxId: string, stepId?: string) => ({
  id: `e${++n}`,
  ts: 1_700_000_000_000 + n,
  sandboxId,
  episodeId: sandboxId === 'sb-b' ? undefined : 'ep-12',
  stepId,
});

function finding(sandboxId: string, severity: Finding['severity'], stepId?: string): CordonEvent {
  const b = base(sandboxId, stepId);
  return {
    ...b,
    kind: 'finding',
    finding: {
      id: `f${n}`,
      rule: 'net.ssh-to-unlisted-host',
      category: 'tunnel',
      severity,
      attack: ['T1572'],
      reason: 'SSH to a host the policy does not list',
      action: 'kill',
      actionTaken: true,
      ts: b.ts,
      sandboxId,
      episodeId: b.episodeId,
      stepId,
      pid: 41,
      exe: '/usr/bin/ssh',
      evidence: { detail: 'SSH to c2.rogue.test:22 denied' },
      eventIds: ['x'],
    },
  };
}

describe('shared tables', () => {
  test('the UI lists the same categories and severities as the policy and events layers', () => {
    expect([...CATEGORY_LIST]).toEqual([...CATEGORIES]);
    expect([...SEVERITY_ORDER]).toEqual([...SEVERITIES]);
  });

  test('the UI verdict agrees with the detector verdict for every worst severity', () => {
    for (const severity of SEVERITIES) {
      expect(verdictOf([{ severity }])).toBe(detectVerdictOf([{ severity }]));
    }
    expect(verdictOf([])).toBe(detectVerdictOf([]));
  });
});

describe('DashboardModel', () => {
  test('groups sandboxes by episode and gives each its worst verdict', () => {
    const m = new DashboardModel();
    m.apply({ ...base('sb-a'), kind: 'sandbox.start' });
    m.apply({ ...base('sb-b'), kind: 'sandbox.start' });
    m.apply({ ...base('sb-a', 's1'), kind: 'step.start', detail: { argv: ['true'] } });
    m.apply(finding('sb-a', 'medium', 's1'));
    m.apply(finding('sb-a', 'high', 's1'));
    const groups = m.episodes();
    expect(groups.map((g) => [g.label, g.verdict])).toEqual([
      ['episode ep-12', 'rogue'],
      ['no episode', 'clean'],
    ]);
    expect(m.counts()).toMatchObject({ running: 2, byVerdict: { rogue: 1, clean: 1 } });
    expect(m.stepOrdinal('sb-a', 's1')).toBe(1);
  });

  test('a finding replayed after a reconnect is counted once', () => {
    const m = new DashboardModel();
    const e = finding('sb-a', 'high');
    expect(m.apply(e)).toBe(true);
    expect(m.apply(e)).toBe(false);
    expect(m.findings()).toHaveLength(1);
  });

  test('filters findings by category and minimum severity', () => {
    const m = new DashboardModel();
    m.apply(finding('sb-a', 'low'));
    m.apply(finding('sb-a', 'critical'));
    expect(m.findings({ category: '', minSeverity: 'high' }).map((f) => f.severity)).toEqual([
      'critical',
    ]);
    expect(m.findings({ category: 'mining', minSeverity: 'info' })).toEqual([]);
  });

  test('a sandbox once listed and then missing from the list is marked ended', () => {
    const m = new DashboardModel();
    const info = {
      id: 'sb-a',
      status: 'running' as const,
      createdAt: 1,
      expiresAt: 2,
      labels: { episodeId: 'ep-12', run: 'nightly' },
      policyDigest: 'd',
      execCount: 3,
    };
    m.apply({ ...base('sb-late'), kind: 'sandbox.start' });
    m.applyList([info], 10);
    expect(m.sandboxes.get('sb-a')).toMatchObject({ status: 'running', execCount: 3 });
    m.applyList([], 20);
    expect(m.sandboxes.get('sb-a')).toMatchObject({ status: 'ended', endedAt: 20 });
    // Never listed yet (its launch has not returned): absence says nothing.
    expect(m.sandboxes.get('sb-late')?.status).toBe('running');
  });
});

describe('SandboxTimeline', () => {
  test('groups events by step in start order, background events last', () => {
    const tl = new SandboxTimeline('sb-a');
    tl.apply({
      ...base('sb-a', 's2'),
      kind: 'step.start',
      detail: { argv: ['ssh', '-R', '1:x:2'] },
    });
    tl.apply({ ...base('sb-a'), kind: 'process.exit', pid: 9, exitCode: 0 });
    tl.apply({ ...base('sb-a', 's3'), kind: 'step.start', detail: { argv: ['true'] } });
    tl.apply(finding('sb-a', 'high', 's2'));
    expect(tl.steps().map((g) => g.key)).toEqual(['s2', 's3', '']);
    expect(tl.steps()[0]).toMatchObject({ argv: ['ssh', '-R', '1:x:2'] });
    expect(tl.steps()[0]?.findings).toHaveLength(1);
    expect(tl.ordinal('s3')).toBe(2);
  });

  test("folds a flow's close into its open row, and ignores other sandboxes' events", () => {
    const tl = new SandboxTimeline('sb-a');
    const flow = {
      kind: 'net.flow' as const,
      flowId: 'fl1',
      address: '198.18.0.7',
      host: 'pool.rogue.test',
      port: 3333,
      protocol: 'stratum',
      decision: 'deny' as const,
      rule: 'default-deny',
      bytesOut: 0,
      bytesIn: 0,
      durationMs: 0,
    };
    tl.apply({ ...base('sb-a', 's1'), ...flow, phase: 'open' });
    const close = { ...base('sb-a', 's1'), ...flow, phase: 'close' as const, durationMs: 12 };
    tl.apply(close);
    expect(tl.apply({ ...base('sb-other', 's1'), kind: 'step.start' })).toBe(false);
    const [step] = tl.steps();
    expect(step?.rows).toEqual([close.id]);
    expect(tl.event(close.id)).toMatchObject({ phase: 'close' });
  });
});
