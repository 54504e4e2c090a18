import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  encodeExec,
  encodeFrame,
  encodeKill,
  FrameDecoder,
  InitClient,
  parseInitEventLine,
  ResponseType,
  type InitFrame,
} from './init-protocol.js';

/** Reads an EXEC payload back, as cordon-init does. */
function decodeExecPayload(frame: Buffer) {
  let off = 9;
  const u32 = () => {
    const v = frame.readUInt32LE(off);
    off += 4;
    return v;
  };
  const bytes = () => {
    const n = u32();
    const b = frame.subarray(off, off + n);
    off += n;
    return b;
  };
  const argv = Array.from({ length: u32() }, () => bytes().toString());
  const env = Array.from({ length: u32() }, () => bytes().toString());
  const cwd = bytes().toString();
  const stdin = bytes();
  return {
    length: frame.readUInt32LE(0),
    type: frame[4],
    id: frame.readUInt32LE(5),
    argv,
    env,
    cwd,
    stdin,
    rest: frame.length - off,
  };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function exitFrame(id: number, code: number, signal: number): Buffer {
  const p = Buffer.alloc(12);
  p.writeInt32LE(code, 0);
  p.writeInt32LE(signal, 4);
  p.writeUInt32LE(5, 8);
  return encodeFrame(ResponseType.exit, id, p);
}

describe('encodeExec / encodeKill', () => {
  test('lays out argv, env, cwd and stdin as cordon-init reads them', () => {
    const frame = encodeExec({
      id: 7,
      argv: ['sh', '-c', 'echo é'],
      env: { PATH: '/usr/bin', EMPTY: '' },
      cwd: '/workspace',
      stdin: Buffer.from([0, 1, 2, 255]),
    });
    const decoded = decodeExecPayload(frame);
    expect(decoded).toMatchObject({ type: 1, id: 7, cwd: '/workspace', rest: 0 });
    expect(decoded.length).toBe(frame.length - 4);
    expect(decoded.argv).toEqual(['sh', '-c', 'echo é']);
    expect(decoded.env).toEqual(['PATH=/usr/bin', 'EMPTY=']);
    expect([...decoded.stdin]).toEqual([0, 1, 2, 255]);
  });

  test('rejects NUL bytes in arguments, bad env names and an empty argv', () => {
    expect(() => encodeExec({ id: 1, argv: ['a\0b'], env: {}, cwd: '' })).toThrow(/NUL/);
    expect(() => encodeExec({ id: 1, argv: ['a'], env: { 'A=B': 'x' }, cwd: '' })).toThrow(/name/);
    expect(() => encodeExec({ id: 1, argv: [], env: {}, cwd: '' })).toThrow(/empty/);
  });

  test('encodes KILL with the signal number, from a name or a number', () => {
    const byName = encodeKill(3, 'SIGTERM');
    expect(byName).toEqual(Buffer.concat([u32(9), Buffer.from([2]), u32(3), u32(15)]));
    expect(encodeKill(3, 15)).toEqual(byName);
    expect(() => encodeKill(3, 0)).toThrow(/signal/);
  });
});

/** Frames in a form cheap to compare (vitest's deep equality over big Buffers is very slow). */
function summary(frames: InitFrame[]): string {
  return JSON.stringify(
    frames.map((f) => ('data' in f ? { ...f, data: f.data.toString('base64') } : f)),
  );
}

describe('FrameDecoder', () => {
  const frames: Buffer[] = [
    encodeFrame(ResponseType.started, 1, u32(42)),
    encodeFrame(ResponseType.stdout, 1, Buffer.from('hello')),
    encodeFrame(ResponseType.stderr, 2, Buffer.alloc(70_000, 7)),
    encodeFrame(ResponseType.stdout, 1, Buffer.alloc(0)),
    exitFrame(1, 3, 0),
    exitFrame(2, -1, 9),
    encodeFrame(ResponseType.error, 5, Buffer.from('no such exec')),
    encodeFrame(99, 5, Buffer.from('a future frame type')),
  ];
  const stream = Buffer.concat(frames);

  test('decodes each response type', () => {
    const out = new FrameDecoder().push(stream);
    expect(out.map((f) => f.type)).toEqual([
      'started',
      'stdout',
      'stderr',
      'stdout',
      'exit',
      'exit',
      'error',
    ]);
    expect(out[0]).toEqual({ type: 'started', id: 1, pid: 42 });
    expect(out[4]).toEqual({ type: 'exit', id: 1, code: 3, signal: null, eventsWritten: 5 });
    expect(out[5]).toEqual({
      type: 'exit',
      id: 2,
      code: null,
      signal: 'SIGKILL',
      eventsWritten: 5,
    });
    expect(out[6]).toEqual({ type: 'error', id: 5, message: 'no such exec' });
    expect((out[2] as { data: Buffer }).data.equals(Buffer.alloc(70_000, 7))).toBe(true);
  });

  test('gives the same frames however the stream is cut into chunks', () => {
    const whole = new FrameDecoder().push(stream);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }),
        (cuts) => {
          const decoder = new FrameDecoder();
          const got: InitFrame[] = [];
          let prev = 0;
          for (const cut of [...cuts.sort((a, b) => a - b), stream.length]) {
            got.push(...decoder.push(stream.subarray(prev, cut)));
            prev = cut;
          }
          expect(summary(got) === summary(whole)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('handles one byte at a time', () => {
    const decoder = new FrameDecoder();
    const got: InitFrame[] = [];
    for (let i = 0; i < 200; i++) got.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(summary(got)).toBe(summary(new FrameDecoder().push(stream.subarray(0, 200))));
    expect(got[0]).toEqual({ type: 'started', id: 1, pid: 42 });
  });

  test('throws on a frame length out of bounds', () => {
    expect(() => new FrameDecoder().push(Buffer.from([1, 0, 0, 0, 16]))).toThrow(/frame length/);
    expect(() => new FrameDecoder().push(u32(64 * 1024 * 1024 + 1))).toThrow(/frame length/);
  });
});

describe('parseInitEventLine', () => {
  test('parses each event type', () => {
    expect(parseInitEventLine('{"type":"ready","seccomp":"notify"}')).toEqual({
      type: 'ready',
      seccomp: 'notify',
    });
    const denied =
      '{"type":"syscall_denied","syscall":"mount","nr":165,"pid":7,"exe":"/usr/bin/mount","argv":["mount","-t","tmpfs"],"ts":1700000000000}\n';
    expect(parseInitEventLine(denied)).toMatchObject({
      syscall: 'mount',
      nr: 165,
      exe: '/usr/bin/mount',
    });
    expect(
      parseInitEventLine('{"type":"exit","pid":2,"code":null,"signal":"SIGKILL","lingering":0}'),
    ).toEqual({ type: 'exit', pid: 2, code: null, signal: 'SIGKILL', lingering: 0 });
  });

  test('returns null for malformed lines', () => {
    for (const line of [
      '',
      'not json',
      '{"type":"ready"',
      '[]',
      'null',
      '{"type":"ready","seccomp":"maybe"}',
      '{"type":"exit","pid":"2","code":0,"signal":null,"lingering":0}',
      '{"type":"launch_missiles"}',
    ]) {
      expect(parseInitEventLine(line)).toBeNull();
    }
  });

  test('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (line) => {
        expect(() => parseInitEventLine(line)).not.toThrow();
      }),
    );
  });
});

/** A stand-in for cordon-init's end of the control socket. */
function fakeInit() {
  const written: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
    final(cb) {
      cb();
      this.push(null);
    },
  });
  return { socket, written, send: (frame: Buffer) => socket.push(frame) };
}

describe('InitClient', () => {
  test('collects output until EXIT and reports the pid', async () => {
    const init = fakeInit();
    const client = new InitClient(init.socket);
    const started: number[] = [];
    const result = client.exec({
      argv: ['cat'],
      stdin: 'x',
      onStarted: (pid) => started.push(pid),
    });
    const id = decodeExecPayload(init.written[0]!).id;
    init.send(
      Buffer.concat([
        encodeFrame(ResponseType.started, id, u32(12)),
        encodeFrame(ResponseType.stdout, id, Buffer.from('ab')),
      ]),
    );
    init.send(encodeFrame(ResponseType.stderr, id, Buffer.from('warn')));
    init.send(encodeFrame(ResponseType.stdout, id, Buffer.from('cd')));
    init.send(exitFrame(id, 0, 0));
    const r = await result;
    expect(r).toMatchObject({ id, pid: 12, code: 0, signal: null, outputTruncated: false });
    expect(r.stdout.toString()).toBe('abcd');
    expect(r.stderr.toString()).toBe('warn');
    expect(started).toEqual([12]);
  });

  test('caps output and flags outputTruncated', async () => {
    const init = fakeInit();
    const client = new InitClient(init.socket);
    const result = client.exec({ argv: ['yes'], maxOutputBytes: 5 });
    const id = decodeExecPayload(init.written[0]!).id;
    init.send(encodeFrame(ResponseType.stdout, id, Buffer.from('yyy')));
    init.send(encodeFrame(ResponseType.stdout, id, Buffer.from('yyy')));
    init.send(exitFrame(id, -1, 15));
    const r = await result;
    expect(r.stdout.toString()).toBe('yyyyy');
    expect(r).toMatchObject({ outputTruncated: true, code: null, signal: 'SIGTERM' });
  });

  test('sends KILL only for running execs, and rejects on ERROR', async () => {
    const init = fakeInit();
    const client = new InitClient(init.socket);
    const result = client.exec({ id: 4, argv: ['sleep', '9'] });
    client.kill(4, 'SIGTERM');
    client.kill(5, 'SIGTERM');
    expect(init.written).toHaveLength(2);
    expect(init.written[1]).toEqual(encodeKill(4, 'SIGTERM'));
    init.send(encodeFrame(ResponseType.error, 4, Buffer.from('too many concurrent execs')));
    await expect(result).rejects.toThrow(/too many concurrent execs/);
    expect(client.runningIds()).toEqual([]);
  });

  test('rejects pending execs when the control socket closes', async () => {
    const init = fakeInit();
    const client = new InitClient(init.socket);
    const result = client.exec({ argv: ['sleep', '9'] });
    init.socket.push(null);
    init.socket.destroy();
    await expect(result).rejects.toMatchObject({ code: 'CORDON_E_SANDBOX_STATE' });
    await expect(client.exec({ argv: ['true'] })).rejects.toMatchObject({
      code: 'CORDON_E_SANDBOX_STATE',
    });
  });
});
