import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  buildQuery,
  buildResponse,
  encodeName,
  frameTcp,
  parseMessage,
  QTYPE,
  qtypeName,
  RCODE,
  TcpDeframer,
} from './wire.js';

function header(qd: number, an = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x1234, 0);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  return h;
}

describe('DNS wire format', () => {
  test('round-trips a query and lower-cases the name', () => {
    const r = parseMessage(buildQuery('Pool.Rogue.TEST', QTYPE.A, 7, { edns: true }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.message).toMatchObject({ id: 7, qr: false, rd: true, opcode: 0 });
    expect(r.message.questions).toEqual([{ name: 'pool.rogue.test', type: QTYPE.A, class: 1 }]);
    expect(r.message.additionals[0]?.type).toBe(QTYPE.OPT);
  });

  test('builds an A answer that points at the question name', () => {
    const raw = buildQuery('registry.test', QTYPE.A, 42);
    const q = parseMessage(raw);
    if (!q.ok) throw new Error(q.error);
    const resp = buildResponse(raw, q.message, {
      rcode: RCODE.NOERROR,
      answers: [{ type: QTYPE.A, ttl: 60, data: Buffer.from([198, 18, 0, 1]) }],
    });
    const r = parseMessage(resp);
    if (!r.ok) throw new Error(r.error);
    expect(r.message).toMatchObject({ id: 42, qr: true, rcode: 0 });
    expect(r.message.answers[0]).toMatchObject({ name: 'registry.test', type: 1, ttl: 60 });
    expect([...r.message.answers[0]!.data]).toEqual([198, 18, 0, 1]);
  });

  test('follows compression pointers and refuses loops and forward pointers', () => {
    // Question 1: a.test; question 2: b + pointer to "test" at offset 14.
    const q1 = Buffer.concat([encodeName('a.test'), Buffer.from([0, 1, 0, 1])]);
    const q2 = Buffer.concat([Buffer.from([1, 0x62, 0xc0, 14]), Buffer.from([0, 1, 0, 1])]);
    const ok = parseMessage(Buffer.concat([header(2), q1, q2]));
    expect(ok.ok && ok.message.questions.map((q) => q.name)).toEqual(['a.test', 'b.test']);
    const self = Buffer.concat([header(1), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(parseMessage(self)).toEqual({ ok: false, error: 'compression loop' });
    const forward = Buffer.concat([header(1), Buffer.from([0xc0, 14, 0, 1, 0, 1, 0])]);
    expect(parseMessage(forward).ok).toBe(false);
  });

  test('rejects truncated and over-long input with a reason', () => {
    expect(parseMessage(Buffer.alloc(5))).toMatchObject({ ok: false });
    expect(parseMessage(header(3))).toMatchObject({
      ok: false,
      error: 'counts exceed the message size',
    });
    const long = Buffer.concat([
      header(1),
      ...Array.from({ length: 5 }, () => Buffer.from([63, ...Buffer.alloc(63, 0x61)])),
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    expect(parseMessage(long)).toMatchObject({ ok: false, error: 'name longer than 255 bytes' });
  });

  test('escapes bytes outside hostname characters', () => {
    const name = Buffer.from([3, 0x61, 0x2e, 0x00, 4, 0x74, 0x65, 0x73, 0x74, 0]);
    const r = parseMessage(Buffer.concat([header(1), name, Buffer.from([0, 16, 0, 1])]));
    expect(r.ok && r.message.questions[0]).toMatchObject({ name: 'a\\046\\000.test', type: 16 });
    expect(encodeName('a\\046\\000.test')).toEqual(name);
  });

  test('names query types', () => {
    expect([1, 16, 28, 10, 255, 4242].map(qtypeName)).toEqual([
      'A',
      'TXT',
      'AAAA',
      'NULL',
      'ANY',
      'TYPE4242',
    ]);
  });

  test('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (arr) => {
        const r = parseMessage(Buffer.from(arr));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  test('TCP framing splits a stream cut at any point', () => {
    const msgs = [
      buildQuery('a.test', 1, 1),
      buildQuery('bb.test', 28, 2),
      buildQuery('c.test', 16, 3),
    ];
    const stream = Buffer.concat(msgs.map(frameTcp));
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new TcpDeframer();
      const out = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(out).toEqual(msgs);
    }
  });
});
