/** Events and findings read as sentences a person understands at a glance. */
import { describe, expect, test } from 'vitest';
import { describeEvent, findingHeadline, stepOutcome } from './describe.js';
import { commandLine, stepLabel } from './format.js';
import type { Finding } from './types.js';

const f: Finding = {
  id: 'f1',
  rule: 'net.ssh-to-unlisted-host',
  category: 'tunnel',
  severity: 'high',
  attack: ['T1572'],
  reason: 'SSH to a host the policy does not list',
  action: 'kill',
  actionTaken: true,
  ts: 0,
  sandboxId: 'sb',
  episodeId: '12',
  stepId: 'step-0a1b2c3d-00000004',
  pid: 41,
  exe: '/usr/bin/ssh',
  evidence: { detail: 'SSH to c2.rogue.test:22 denied', port: 22 },
  eventIds: [],
};

describe('findingHeadline', () => {
  test('names episode, step, what was seen and what cordon did', () => {
    expect(findingHeadline(f, 4)).toBe(
      'episode 12, step 4: SSH to c2.rogue.test:22 denied, ssh (pid 41) killed',
    );
  });

  test('an alert adds no outcome, a failed kill says so, no episode falls back to the sandbox', () => {
    expect(findingHeadline({ ...f, action: 'alert' }, 4)).toBe(
      'episode 12, step 4: SSH to c2.rogue.test:22 denied',
    );
    expect(findingHeadline({ ...f, actionTaken: false }, 4)).toMatch(/ssh \(pid 41\) kill failed$/);
    expect(
      findingHeadline({ ...f, episodeId: undefined, stepId: undefined, action: 'terminate' }),
    ).toBe('sandbox sb: SSH to c2.rogue.test:22 denied, sandbox terminated');
  });
});

describe('stepLabel', () => {
  test.each([
    ['4', 9, 'step 4'],
    ['step-0a1b2c3d-0000000f', 3, 'step 3'],
    ['tool-call-7', 2, 'step tool-call-7'],
    ['step-login', 1, 'step-login'],
  ])('%s (ordinal %s) reads %s', (id, ordinal, label) => {
    expect(stepLabel(id, ordinal)).toBe(label);
  });
});

describe('describeEvent', () => {
  const at = { id: 'e', ts: 0, sandboxId: 'sb' };
  test('a denied stratum flow', () => {
    expect(
      describeEvent({
        ...at,
        kind: 'net.flow',
        flowId: 'x',
        host: 'pool.rogue.test',
        address: '198.18.0.9',
        port: 3333,
        protocol: 'stratum',
        decision: 'deny',
        rule: 'default',
        bytesOut: 0,
        bytesIn: 0,
        durationMs: 3,
        phase: 'close',
        exe: '/usr/bin/nc',
        pid: 7,
      }),
    ).toEqual({
      tag: 'net',
      text: 'STRATUM to pool.rogue.test:3333 denied, 0 B out, 0 B in, 3 ms · nc (pid 7)',
      tone: 'deny',
    });
  });

  test('a denied syscall, a DNS answer, an exec with awkward arguments', () => {
    expect(
      describeEvent({
        ...at,
        kind: 'syscall',
        pid: 3,
        syscall: 'mount',
        denied: true,
        exe: '/bin/mount',
      }).text,
    ).toBe('mount() denied by seccomp by mount (pid 3)');
    expect(
      describeEvent({
        ...at,
        kind: 'net.dns',
        name: 'registry.test',
        qtype: 'A',
        answer: '198.18.0.2',
        decision: 'allow',
        tunnelScore: 0,
      }).text,
    ).toBe('A registry.test → 198.18.0.2');
    expect(commandLine(['sh', '-c', "echo 'hi' > x"])).toBe(`sh -c 'echo '\\''hi'\\'' > x'`);
  });

  test('step outcomes', () => {
    expect(stepOutcome({ exitCode: 0, signal: null, timedOut: false, durationMs: 12 })).toBe(
      'exit 0 · 12 ms',
    );
    expect(
      stepOutcome({ exitCode: null, signal: 'SIGKILL', timedOut: true, durationMs: 2000 }),
    ).toBe('timed out · killed by SIGKILL · 2.0 s');
  });
});
