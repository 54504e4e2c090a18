/**
 * The wire protocol between cordon (host) and cordon-init (inside the sandbox), and a small client.
 *
 * Control socket (server mode), little-endian frames: `u32 length-of-rest, u8 type, u32 id,
 * payload`. Requests: EXEC=1 `u32 argc, argc x (u32 len, bytes), u32 envc, envc x (u32 len,
 * "K=V"), u32 cwdlen, cwd, u32 stdinlen, stdin`; KILL=2 `u32 signal` (to the exec's process
 * group). Responses: STARTED=16 `u32 pid`; STDOUT=17 / STDERR=18 bytes; EXIT=19 `i32 code (-1 if
 * signalled), i32 signal, u32 lines written on the events fd so far`; ERROR=20 message.
 *
 * Events fd: one JSON object a line (ready, syscall_denied, exit): see init-events.ts. An exec's
 * pid comes only in its STARTED frame.
 */
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import { CordonError } from '../errors.js';

/** Largest frame (bytes after the length word) either side accepts. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const HEADER_BYTES = 9;

export const RequestType = { exec: 1, kill: 2 } as const;
export const ResponseType = { started: 16, stdout: 17, stderr: 18, exit: 19, error: 20 } as const;

export interface ExecRequest {
  /** Caller-chosen u32, unique among running execs; every response carries it. */
  id: number;
  argv: readonly string[];
  /** The whole environment of the program (nothing is inherited from cordon-init). */
  env: Readonly<Record<string, string>>;
  /** Working directory inside the sandbox; empty means cordon-init's own. */
  cwd: string;
  stdin?: Buffer | string | undefined;
}

export type InitFrame =
  | { type: 'started'; id: number; pid: number }
  | { type: 'stdout'; id: number; data: Buffer }
  | { type: 'stderr'; id: number; data: Buffer }
  | {
      type: 'exit';
      id: number;
      code: number | null;
      signal: string | null;
      /** Lines cordon-init had written on its events fd before this frame. */
      eventsWritten: number;
    }
  | { type: 'error'; id: number; message: string };

const signalNames = new Map<number, string>(
  Object.entries(constants.signals).map(([name, nr]) => [nr, name]),
);

/** `9` -> `SIGKILL`; numbers without a name become `SIG<n>`. */
export function signalName(nr: number): string {
  return signalNames.get(nr) ?? `SIG${nr}`;
}

/** `SIGTERM` or 15 -> 15. */
export function signalNumber(signal: number | NodeJS.Signals): number {
  const nr = typeof signal === 'number' ? signal : constants.signals[signal];
  if (!Number.isInteger(nr) || nr < 1 || nr > 64) {
    throw new CordonError('CORDON_E_USAGE', `Not a signal: ${String(signal)}`);
  }
  return nr;
}

/** One frame: header plus payload. */
export function encodeFrame(type: number, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length + 5 > MAX_FRAME_BYTES) {
    throw new CordonError('CORDON_E_USAGE', `Frame too large (${payload.length} bytes)`);
  }
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(payload.length + 5, 0);
  header.writeUInt8(type, 4);
  header.writeUInt32LE(id >>> 0, 5);
  return Buffer.concat([header, payload]);
}

function lengthPrefixed(value: string | Buffer, what: string): Buffer[] {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (typeof value === 'string' && bytes.includes(0)) {
    throw new CordonError('CORDON_E_USAGE', `${what} contains a NUL byte`);
  }
  const len = Buffer.alloc(4);
  len.writeUInt32LE(bytes.length, 0);
  return [len, bytes];
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

/**
 * Encodes an EXEC request.
 * @example
 *   socket.write(encodeExec({ id: 1, argv: ['sh', '-c', 'ls'], env: { PATH: '/usr/bin' }, cwd: '/' }));
 */
export function encodeExec(req: ExecRequest): Buffer {
  if (req.argv.length === 0) throw new CordonError('CORDON_E_USAGE', 'argv is empty');
  const parts: Buffer[] = [u32(req.argv.length)];
  for (const arg of req.argv) parts.push(...lengthPrefixed(arg, 'an argument'));
  const env = Object.entries(req.env);
  parts.push(u32(env.length));
  for (const [key, value] of env) {
    if (key === '' || key.includes('=')) {
      throw new CordonError('CORDON_E_USAGE', `Bad environment variable name: ${key}`);
    }
    parts.push(...lengthPrefixed(`${key}=${value}`, `environment variable ${key}`));
  }
  parts.push(...lengthPrefixed(req.cwd, 'cwd'));
  parts.push(...lengthPrefixed(req.stdin ?? Buffer.alloc(0), 'stdin'));
  return encodeFrame(RequestType.exec, req.id, Buffer.concat(parts));
}

/** Encodes a KILL request: `signal` goes to the exec's whole process group. */
export function encodeKill(id: number, signal: number | NodeJS.Signals): Buffer {
  return encodeFrame(RequestType.kill, id, u32(signalNumber(signal)));
}

function protocolError(message: string): CordonError {
  return new CordonError('CORDON_E_INTERNAL', `cordon-init protocol: ${message}`);
}

function decodeFrame(type: number, id: number, payload: Buffer): InitFrame | null {
  switch (type) {
    case ResponseType.started:
      if (payload.length !== 4) throw protocolError('STARTED frame is not 4 bytes');
      return { type: 'started', id, pid: payload.readUInt32LE(0) };
    case ResponseType.stdout:
      return { type: 'stdout', id, data: payload };
    case ResponseType.stderr:
      return { type: 'stderr', id, data: payload };
    case ResponseType.exit: {
      if (payload.length !== 12) throw protocolError('EXIT frame is not 12 bytes');
      const code = payload.readInt32LE(0);
      const signal = payload.readInt32LE(4);
      const eventsWritten = payload.readUInt32LE(8);
      return signal !== 0
        ? { type: 'exit', id, code: null, signal: signalName(signal), eventsWritten }
        : { type: 'exit', id, code, signal: null, eventsWritten };
    }
    case ResponseType.error:
      return { type: 'error', id, message: payload.toString('utf8') };
    default:
      return null; // a newer cordon-init's frame type: skip it
  }
}

/** Reassembles response frames from a byte stream, whatever the chunk boundaries. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;

  /** Returns the frames completed by `chunk`. Throws CORDON_E_INTERNAL on a corrupt stream. */
  push(chunk: Buffer): InitFrame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    const frames: InitFrame[] = [];
    while (this.size >= 4) {
      const length = this.contiguous(4).readUInt32LE(0);
      if (length < 5 || length > MAX_FRAME_BYTES) throw protocolError(`bad frame length ${length}`);
      if (this.size < 4 + length) break;
      const frame = this.contiguous(4 + length);
      this.consume(4 + length);
      const decoded = decodeFrame(frame[4]!, frame.readUInt32LE(5), frame.subarray(HEADER_BYTES));
      if (decoded) frames.push(decoded);
    }
    return frames;
  }

  /** The first `n` buffered bytes as one buffer (merging chunks only when a frame spans them). */
  private contiguous(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0]!.subarray(0, n);
  }

  private consume(n: number): void {
    const first = this.chunks[0]!;
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.size -= n;
  }
}

export { InitEventSchema, parseInitEventLine, type InitEvent } from './init-events.js';

export interface InitExecOptions {
  /** Defaults to the next free id. */
  id?: number;
  argv: readonly string[];
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  stdin?: Buffer | string;
  /** Per stream; beyond it output is dropped and `outputTruncated` set. Default 16 MiB. */
  maxOutputBytes?: number;
  onStarted?: (pid: number, id: number) => void;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface InitExecResult {
  id: number;
  /** Pid inside the sandbox; null when the program could not be started (code 126/127). */
  pid: number | null;
  code: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  outputTruncated: boolean;
  /** Lines cordon-init had written on its events fd when the command's exit was sent. */
  eventsWritten: number;
}

interface PendingExec {
  opts: InitExecOptions;
  pid: number | null;
  out: Buffer[];
  err: Buffer[];
  outBytes: number;
  errBytes: number;
  truncated: boolean;
  resolve: (result: InitExecResult) => void;
  reject: (error: Error) => void;
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * Runs execs through a cordon-init control socket, several at once.
 * @example
 *   const client = new InitClient(child.stdio[4] as Duplex);
 *   const { code, stdout } = await client.exec({ argv: ['ls'], env: { PATH: '/usr/bin' } });
 */
export class InitClient {
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, PendingExec>();
  private nextId = 1;
  private failure: Error | undefined;

  constructor(private readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(undefined));
  }

  exec(opts: InitExecOptions): Promise<InitExecResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = opts.id ?? this.allocateId();
    if (this.pending.has(id)) {
      return Promise.reject(new CordonError('CORDON_E_USAGE', `exec id ${id} is in use`));
    }
    const frame = encodeExec({
      id,
      argv: opts.argv,
      env: opts.env ?? {},
      cwd: opts.cwd ?? '',
      stdin: opts.stdin,
    });
    return new Promise<InitExecResult>((resolve, reject) => {
      this.pending.set(id, {
        opts,
        pid: null,
        out: [],
        err: [],
        outBytes: 0,
        errBytes: 0,
        truncated: false,
        resolve,
        reject,
      });
      this.socket.write(frame);
    });
  }

  /** Signals the exec's process group; a finished exec is ignored. */
  kill(id: number, signal: number | NodeJS.Signals = 'SIGKILL'): void {
    if (!this.pending.has(id) || this.failure) return;
    this.socket.write(encodeKill(id, signal));
  }

  /** Ends the control stream: cordon-init kills every process in the sandbox and exits. */
  close(): void {
    this.socket.end();
  }

  /** Ids of execs not yet finished. */
  runningIds(): number[] {
    return [...this.pending.keys()];
  }

  private allocateId(): number {
    while (this.pending.has(this.nextId)) this.nextId = (this.nextId % 0xffffffff) + 1;
    const id = this.nextId;
    this.nextId = (this.nextId % 0xffffffff) + 1;
    return id;
  }

  private onData(chunk: Buffer): void {
    let frames: InitFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onFrame(frame: InitFrame): void {
    const exec = this.pending.get(frame.id);
    if (!exec) return; // a late frame for an exec already settled
    switch (frame.type) {
      case 'started':
        exec.pid = frame.pid;
        exec.opts.onStarted?.(frame.pid, frame.id);
        break;
      case 'stdout':
      case 'stderr':
        this.collect(exec, frame.type, frame.data);
        break;
      case 'exit':
        this.pending.delete(frame.id);
        exec.resolve({
          id: frame.id,
          pid: exec.pid,
          code: frame.code,
          signal: frame.signal,
          stdout: Buffer.concat(exec.out),
          stderr: Buffer.concat(exec.err),
          outputTruncated: exec.truncated,
          eventsWritten: frame.eventsWritten,
        });
        break;
      case 'error':
        this.pending.delete(frame.id);
        exec.reject(new CordonError('CORDON_E_INTERNAL', `cordon-init: ${frame.message}`));
        break;
    }
  }

  private collect(exec: PendingExec, stream: 'stdout' | 'stderr', data: Buffer): void {
    (stream === 'stdout' ? exec.opts.onStdout : exec.opts.onStderr)?.(data);
    const max = exec.opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const held = stream === 'stdout' ? exec.outBytes : exec.errBytes;
    const room = Math.max(0, max - held);
    const part = data.length > room ? data.subarray(0, room) : data;
    if (part.length < data.length) exec.truncated = true;
    if (part.length === 0) return;
    if (stream === 'stdout') {
      exec.out.push(part);
      exec.outBytes += part.length;
    } else {
      exec.err.push(part);
      exec.errBytes += part.length;
    }
  }

  private fail(error: Error | undefined): void {
    this.failure ??=
      error ?? new CordonError('CORDON_E_SANDBOX_STATE', 'cordon-init closed its control socket');
    const failure = this.failure;
    for (const exec of this.pending.values()) exec.reject(failure);
    this.pending.clear();
  }
}
