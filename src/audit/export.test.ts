import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { exportRecords } from './export.js';
import { sampleEvent } from '../../test/audit/fixtures/events.js';
import { useTempStores } from '../../test/audit/helpers.js';

const temp = useTempStores();

interface Line {
  seq: number;
  hash: string;
  unmapped: { cordon: { kind: string; sandbox_id: string } };
  metadata: { version: string };
}
const parse = (l: string): Line => JSON.parse(l) as Line;
const byKindOf = (lines: string[]): Map<string, Line> =>
  new Map(lines.map(parse).map((e) => [e.unmapped.cordon.kind, e]));

/** A deliberately slow sink with a tiny buffer, so export must wait for 'drain'. */
function slowSink(): { out: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const out = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      setImmediate(done);
    },
  });
  return { out, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('exportRecords', () => {
  test('jsonl writes every record once, in seq order, across pages and backpressure', async () => {
    const store = temp.open();
    for (let i = 0; i < 4500; i++) store.append(sampleEvent(i));
    const { out, lines } = slowSink();
    await expect(exportRecords(store, 'jsonl', out)).resolves.toEqual({ records: 4500 });
    const parsed = lines().map(parse);
    expect(parsed).toHaveLength(4500);
    expect(parsed.map((r) => r.seq)).toEqual(Array.from({ length: 4500 }, (_, i) => i + 1));
    expect(parsed[1]).toMatchObject({
      seq: 2,
      kind: 'net.flow',
      sandboxId: 'sb-1',
      event: sampleEvent(1),
    });
    expect(parsed[1]!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('ocsf maps each kind to its class and keeps the attribution', async () => {
    const store = temp.open();
    for (let i = 0; i < 6; i++) store.append(sampleEvent(i));
    store.append({
      id: 'd',
      ts: 1,
      kind: 'net.drop',
      sandboxId: 'sb-0',
      protocol: 'UDP',
      address: '198.18.0.3',
      port: 9,
    });
    store.append({ id: 's', ts: 2, kind: 'sandbox.start', sandboxId: 'sb-0' });
    const { out, lines } = slowSink();
    await exportRecords(store, 'ocsf', out, { sandboxId: 'sb-0' });
    const events = lines().map(parse);
    const byKind = byKindOf(lines());
    expect(byKind.get('process.exec')).toMatchObject({
      class_uid: 1007,
      category_uid: 1,
      type_uid: 100701,
      process: { pid: 100, cmd_line: 'curl -s http://registry.test/' },
    });
    expect(byKind.get('net.drop')).toMatchObject({
      class_uid: 4001,
      activity_id: 5,
      action_id: 2,
      dst_endpoint: { ip: '198.18.0.3' },
    });
    expect(byKind.get('sandbox.start')).toMatchObject({
      class_uid: 0,
      type_uid: 99,
      unmapped: { cordon: { event: { kind: 'sandbox.start' } } },
    });
    expect(
      events.every(
        (e) => e.unmapped.cordon.sandbox_id === 'sb-0' && e.metadata.version === '1.1.0',
      ),
    ).toBe(true);

    const all = slowSink();
    await exportRecords(store, 'ocsf', all.out);
    const classes = byKindOf(all.lines());
    expect(classes.get('net.flow')).toMatchObject({
      class_uid: 4001,
      activity_id: 5,
      dst_endpoint: { hostname: 'c2.rogue.test', port: 443 },
      traffic: { bytes_out: 0 },
    });
    expect(classes.get('net.dns')).toMatchObject({
      class_uid: 4003,
      query: { hostname: 'pool.rogue.test', type: 'A' },
    });
    expect(classes.get('finding')).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      severity_id: 4,
      metadata: { correlation_uid: 'ep-1' },
      finding_info: {
        analytic: { name: 'net.ssh-banner-to-unlisted-host' },
        attacks: [{ technique: { uid: 'T1572' } }],
      },
      unmapped: { cordon: { step_id: 'step-3', seq: 4 } },
    });
    expect(classes.get('process.exit')).toMatchObject({ class_uid: 1007, activity_id: 2 });
  });
});
