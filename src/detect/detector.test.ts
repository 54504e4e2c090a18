import fc from 'fast-check';
import { describe, expect, test, vi } from 'vitest';
import { EventBus, type CordonEvent, type FindingEvent } from '../events/index.js';
import { resolvePolicy, type Policy } from '../policy/index.js';
import { Detector, type Responder } from './detector.js';
import { defineRule } from './rule.js';
import { T0, cpuRun, exec, flow, syscall } from './test-kit.js';
import { summarize } from './verdict.js';

function fakeResponder(killTree: Responder['killTree'] = (pid) => Promise.resolve([pid])) {
  return {
    killTree: vi.fn(killTree),
    freeze: vi.fn(() => Promise.resolve()),
    terminate: vi.fn((_reason: string) => Promise.resolve()),
  };
}
type FakeResponder = ReturnType<typeof fakeResponder>;

function setup(
  policy: Policy = resolvePolicy({}),
  responder: FakeResponder | null = fakeResponder(),
) {
  const bus = new EventBus();
  const published: FindingEvent[] = [];
  bus.subscribe((e) => {
    if (e.kind === 'finding') published.push(e);
  });
  const detector = new Detector({
    bus,
    policyFor: () => policy,
    responderFor: () => responder ?? undefined,
    actionTimeoutMs: 200,
  });
  detector.start();
  return { bus, detector, published, responder };
}

const strip = <E extends CordonEvent>(e: E) => {
  const { id: _id, ...rest } = e;
  return rest as unknown as Parameters<EventBus['publish']>[0];
};

describe('Detector', () => {
  test('kills a miner on its first stratum byte and publishes the finding with what was done', async () => {
    const { bus, detector, published, responder } = setup();
    bus.publish(
      strip(exec(['/tmp/.cache/kworker', '-c', 'cfg.json'], { pid: 41, sandboxId: 'sb1' })),
    );
    bus.publish(
      strip(
        flow({
          sandboxId: 'sb1',
          pid: 41,
          exe: '/tmp/.cache/kworker',
          host: 'pool.rogue.test',
          port: 3333,
          protocol: 'stratum',
        }),
      ),
    );
    // The kill is on its way before publish() returns.
    expect(responder!.killTree).toHaveBeenCalledWith(41);
    await detector.settled();
    const findings = detector.findings('sb1');
    const stratum = findings.find((f) => f.rule === 'net.stratum-flow')!;
    expect(stratum).toMatchObject({
      category: 'mining',
      severity: 'critical',
      action: 'kill',
      actionTaken: true,
      pid: 41,
    });
    expect(published.map((e) => e.finding.rule)).toContain('net.stratum-flow');
    expect(summarize([stratum])[0]).toBe(
      'critical mining: stratum to pool.rogue.test:3333 denied, 0 bytes sent, kworker (pid 41) killed',
    );
    expect(stratum.eventIds.length).toBeGreaterThan(0);
  });

  test('reports the same rule, pid and evidence once', () => {
    const { bus, detector } = setup();
    for (let i = 0; i < 5; i += 1) {
      bus.publish(
        strip(
          flow({
            sandboxId: 'sb1',
            pid: 7,
            host: 'pool.rogue.test',
            port: 3333,
            protocol: 'stratum',
          }),
        ),
      );
    }
    expect(detector.findings('sb1').filter((f) => f.rule === 'net.stratum-flow')).toHaveLength(1);
  });

  test('picks the action by rule id first, then category, else alert', async () => {
    const policy = resolvePolicy({
      detect: { actions: { 'net.stratum-flow': 'freeze', tunnel: 'terminate' } },
    });
    const { bus, detector, responder } = setup(policy);
    bus.publish(
      strip(
        flow({ sandboxId: 'a', pid: 7, host: 'pool.rogue.test', port: 3333, protocol: 'stratum' }),
      ),
    );
    bus.publish(
      strip(flow({ sandboxId: 'a', pid: 8, host: 'relay.rogue.test', port: 22, protocol: 'ssh' })),
    );
    await detector.settled();
    const byRule = Object.fromEntries(detector.findings('a').map((f) => [f.rule, f]));
    expect(byRule['net.stratum-flow']?.action).toBe('freeze');
    expect(byRule['net.ssh-to-unlisted-host']?.action).toBe('terminate');
    expect(responder!.freeze).toHaveBeenCalledTimes(1);
    expect(responder!.terminate).toHaveBeenCalledWith(
      expect.stringContaining('SSH to relay.rogue.test:22'),
    );
    const none = setup(resolvePolicy({ preset: 'dev' }));
    none.bus.publish(strip(flow({ sandboxId: 'b', host: 'x.test', port: 1 })));
    expect(none.detector.findings('b')[0]).toMatchObject({
      rule: 'net.denied-egress',
      action: 'alert',
      actionTaken: true,
    });
  });

  test('records a failed action: no responder, a refusing responder, a hanging one', async () => {
    const miner = () => strip(exec(['xmrig'], { sandboxId: 's', pid: 9 }));
    const noResponder = setup(resolvePolicy({}), null);
    noResponder.bus.publish(miner());
    expect(noResponder.detector.findings('s')[0]?.actionTaken).toBe(false);

    const refusing = setup(
      resolvePolicy({}),
      fakeResponder(() => Promise.resolve(false)),
    );
    refusing.bus.publish(miner());
    await refusing.detector.settled();
    expect(refusing.detector.findings('s')[0]?.actionTaken).toBe(false);

    const hanging = setup(
      resolvePolicy({}),
      fakeResponder(() => new Promise<boolean>(() => {})),
    );
    hanging.bus.publish(miner());
    await hanging.detector.settled();
    expect(hanging.detector.findings('s')[0]?.actionTaken).toBe(false);
    expect(hanging.published).toHaveLength(1);
  });

  test('never kills a namespace pid from a denied syscall; kills the exe it knows instead', async () => {
    const { bus, detector, responder } = setup();
    bus.publish(strip(exec(['/tmp/esc'], { sandboxId: 's', pid: 5000, exe: '/tmp/esc' })));
    bus.publish(strip(syscall('mount', { sandboxId: 's', pid: 3, exe: '/tmp/esc', denied: true })));
    await detector.settled();
    expect(responder!.killTree).toHaveBeenCalledWith(5000);
    expect(responder!.killTree).not.toHaveBeenCalledWith(3);
  });

  test('finds a throttled miner whose pool was denied within 5 s, and never a CPU-only job', () => {
    const { detector } = setup();
    detector.observe({
      ...flow({
        sandboxId: 'm',
        pid: 50,
        host: 'pool.rogue.test',
        port: 3333,
        protocol: 'unknown',
        ts: T0,
      }),
    });
    let foundAt: number | undefined;
    for (const s of cpuRun(0.3, false, T0 + 500, 10_000)) {
      if (
        detector
          .observe({ ...s, sandboxId: 'm' })
          .some((f) => f.rule === 'res.cpu-with-denied-pool')
      ) {
        foundAt ??= s.ts;
      }
    }
    expect(foundAt).toBeDefined();
    expect(foundAt! - T0).toBeLessThanOrEqual(5_000);
    for (const s of cpuRun(1.0, false, T0, 30_000)) detector.observe({ ...s, sandboxId: 'build' });
    expect(detector.findings('build')).toEqual([]);
  });

  test('a rule that throws is counted and the others still run', () => {
    const bus = new EventBus();
    const boom = defineRule({
      id: 'test.boom',
      category: 'policy',
      severity: 'low',
      attack: ['T1059'],
      reason: 'always throws',
      kinds: ['process.exec'],
      check: () => {
        throw new Error('boom');
      },
    });
    const ok = defineRule({
      id: 'test.ok',
      category: 'policy',
      severity: 'low',
      attack: ['T1059'],
      reason: 'always fires',
      kinds: ['process.exec'],
      check: () => ({ detail: 'ok', evidence: {} }),
    });
    const detector = new Detector({
      bus,
      policyFor: () => undefined,
      responderFor: () => undefined,
      rules: [boom, ok],
    });
    expect(detector.observe(exec(['ls']))).toHaveLength(1);
    expect(detector.ruleErrors).toBe(1);
  });

  test('stop() unsubscribes', () => {
    const { bus, detector } = setup();
    detector.stop();
    bus.publish(strip(exec(['xmrig'], { sandboxId: 'z' })));
    expect(detector.findings('z')).toEqual([]);
    expect(bus.listenerCount).toBe(1);
  });
});

const str = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '/bin/sh',
    '-c',
    '-e',
    'stratum+tcp://x:1',
    '/dev/tcp/h/1',
    '|',
    '$(',
    '`',
    '>>',
    '/proc/1/environ',
    '',
  ),
);
const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1, NaN, Infinity));
const base = {
  id: fc.string({ maxLength: 8 }),
  ts: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), num),
  sandboxId: fc.constantFrom('f1', 'f2'),
};
const anyEvent: fc.Arbitrary<CordonEvent> = fc.oneof(
  fc.record({
    ...base,
    kind: fc.constant('process.exec' as const),
    pid: fc.integer({ min: 0, max: 50 }),
    ppid: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
    exe: str,
    argv: fc.array(str, { maxLength: 8 }),
    source: fc.constant('ebpf' as const),
  }),
  fc.record({
    ...base,
    kind: fc.constant('process.exit' as const),
    pid: fc.integer({ min: 0, max: 50 }),
  }),
  fc.record({
    ...base,
    kind: fc.constant('file.access' as const),
    pid: fc.integer({ min: 0, max: 50 }),
    path: str,
    op: fc.constantFrom('open', 'write', 'chmod', 'unlink', 'rename'),
    flags: fc.option(fc.integer(), { nil: undefined }),
    result: fc.integer({ min: -40, max: 0 }),
  }),
  fc.record({
    ...base,
    kind: fc.constant('syscall' as const),
    pid: fc.integer({ min: 0, max: 50 }),
    syscall: fc.constantFrom('kill', 'ptrace', 'mount', 'connect', 'execveat', 'x'),
    args: fc.option(
      fc.dictionary(
        fc.constantFrom(
          'targetPid',
          'pid',
          'request',
          'address',
          'family',
          'port',
          'path',
          'signal',
        ),
        fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
      ),
      { nil: undefined },
    ),
    denied: fc.boolean(),
  }),
  fc.record({
    ...base,
    kind: fc.constant('net.flow' as const),
    flowId: fc.string(),
    pid: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
    host: fc.option(str, { nil: undefined }),
    address: str,
    port: fc.integer({ min: 0, max: 70000 }),
    protocol: str,
    details: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue()), {
      nil: undefined,
    }),
    decision: fc.constantFrom('allow', 'deny'),
    rule: str,
    bytesOut: num,
    bytesIn: num,
    durationMs: num,
    phase: fc.constantFrom('open', 'close'),
  }),
  fc.record({
    ...base,
    kind: fc.constant('net.dns' as const),
    name: str,
    qtype: str,
    decision: fc.constantFrom('allow', 'deny'),
    tunnelScore: num,
    resolver: fc.option(str, { nil: undefined }),
  }),
  fc.record({
    ...base,
    kind: fc.constant('net.drop' as const),
    protocol: str,
    address: str,
    port: fc.option(fc.integer(), { nil: undefined }),
  }),
  fc.record({
    ...base,
    kind: fc.constant('resource.sample' as const),
    cpuMs: num,
    cpuCores: num,
    memoryBytes: num,
    pids: num,
    afterCommand: fc.boolean(),
  }),
  fc.record({
    ...base,
    kind: fc.constantFrom(
      'sandbox.start' as const,
      'sandbox.end' as const,
      'step.start' as const,
      'step.end' as const,
    ),
    detail: fc.option(fc.dictionary(fc.constantFrom('rewardTampering', 'x'), fc.jsonValue()), {
      nil: undefined,
    }),
  }),
);

describe('Detector under random events', () => {
  test('never throws, no rule throws, and every finding is well formed', async () => {
    const { detector } = setup();
    await fc.assert(
      fc.asyncProperty(fc.array(anyEvent, { maxLength: 40 }), async (events) => {
        for (const e of events) {
          for (const f of detector.observe(e)) {
            expect(f.attack.length).toBeGreaterThan(0);
            expect(typeof f.evidence.detail).toBe('string');
          }
        }
        await detector.settled();
      }),
      { numRuns: 300 },
    );
    expect(detector.ruleErrors).toBe(0);
  });
});
