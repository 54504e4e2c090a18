/**
 * Reads newline-terminated lines from a child's stdout pipe, in batches. bpftrace flushes every
 * printf on its own, so a pipe read as data comes wakes cordon once per line or two, and those
 * wake-ups (each a read, a callback, a fresh buffer) cost more than parsing what they bring.
 * While lines keep coming (a read within `2 * batchMs` of the previous one), the pipe is left
 * alone for `batchMs` after each read, so that what is written meanwhile comes in one read. A line
 * after a quiet spell is read at once; a busy stream's lines wait at most `batchMs`. Where the
 * stream has no pipe handle to stop (a plain stream), lines are read as data comes.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

interface PipeHandle {
  readStop(): number;
  readStart(): number;
}

function pipeHandle(stream: Readable): PipeHandle | undefined {
  const handle = (stream as unknown as { _handle?: Partial<PipeHandle> })._handle;
  return typeof handle?.readStop === 'function' && typeof handle.readStart === 'function'
    ? (handle as PipeHandle)
    : undefined;
}

/**
 * Calls `onLine` for each line of `stream` (without its newline); a last unterminated line is
 * passed at the end.
 * @example readLines(child.stdout, (line) => parse(line), 5);
 */
export function readLines(stream: Readable, onLine: (line: string) => void, batchMs: number): void {
  const decoder = new StringDecoder('utf8');
  const handle = batchMs > 0 ? pipeHandle(stream) : undefined;
  let rest = '';
  let paused = false;
  let lastRead = -Infinity;
  stream.on('data', (chunk: Buffer) => {
    const text = rest + decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
    const now = performance.now();
    const busy = now - lastRead < 2 * batchMs;
    lastRead = now;
    if (!handle || !busy || paused || stream.destroyed) return;
    paused = true;
    handle.readStop();
    setTimeout(() => {
      paused = false;
      if (!stream.destroyed) handle.readStart();
    }, batchMs);
  });
  stream.on('end', () => {
    const last = rest + decoder.end();
    rest = '';
    if (last) onLine(last);
  });
}
