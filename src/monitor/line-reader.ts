/**
 * Reads newline-terminated lines from a child's stdout pipe, in batches. bpftrace flushes every
 * printf on its own, so a pipe read as data comes wakes cordon once per line or two, and those
 * wake-ups (each a read, a callback, a fresh buffer) cost more than parsing what they bring.
 *
 * With `urgent` (and the native batch reader built), a native thread reads the pipe (at once after
 * a quiet spell, then every `nativeBatchMs` while lines keep coming) and hands lines to JS only
 * when an urgent one came (see UrgentLines) or the oldest has waited `maxWaitMs`: a busy stream of
 * routine lines wakes the JS thread a few times a second instead of every `batchMs`. Without it,
 * while lines keep coming (a read within `2 * batchMs` of the previous one), the stream stops
 * reading and a timer reads the pipe every `batchMs` instead, until it finds the pipe empty and
 * hands it back. Either way a line after a quiet spell that must be seen at once is read at once,
 * and `drain()` reads what the pipe holds at once (the monitor does at each step boundary, so a
 * late line is never attributed to the next step). Where the stream has no pipe handle to stop (a
 * plain stream), lines are read as data comes.
 */
import { readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { nativeHelperPath } from '../sandbox/native.js';

interface PipeHandle {
  readStop(): number;
  readStart(): number;
  /** The pipe's descriptor, non-blocking (libuv opens it so). */
  fd?: number;
}

/** Which lines reach JS at once when the native batch reader reads the pipe. */
export interface UrgentLines {
  /**
   * The first characters of a `{"type": "printf", "data": "…"}` line's data that make it urgent.
   * Any line that is not a printf (bpftrace's own messages: lost events, errors) is urgent too.
   */
  tags: string;
  /** How long other lines may wait in the native reader before JS is called for them. */
  maxWaitMs: number;
  /**
   * How long the native thread lets a burst gather between reads (default: `batchMs`). Its
   * wake-ups are cheap, and an urgent line waits this long at most while lines keep coming.
   */
  nativeBatchMs?: number;
}

interface BatchReaderAddon {
  start(
    fd: number,
    urgentTags: string,
    batchMs: number,
    maxWaitMs: number,
    onReady: () => void,
  ): object;
  /** What was read, with what the pipe holds now; `ended` once nothing more will come. */
  take(reader: object): [data: Buffer, ended: boolean];
  stop(reader: object): void;
}

let batchReader: BatchReaderAddon | null | undefined;

/** The native batch reader, or null when it is not built (lines are then read in JS). */
export function loadBatchReader(): BatchReaderAddon | null {
  if (batchReader !== undefined) return batchReader;
  try {
    batchReader = createRequire(import.meta.url)(
      nativeHelperPath('batch_reader.node'),
    ) as BatchReaderAddon;
  } catch {
    batchReader = null;
  }
  return batchReader;
}

export interface LineReader {
  /**
   * Reads what the pipe holds now, synchronously, and passes its lines on before returning. Never
   * waits: an empty pipe ends it (EAGAIN). Does nothing for a plain stream.
   */
  drain(): void;
}

/** What one `drain` reads at most: a busy stream's lines keep their order either way. */
const DRAIN_LIMIT = 1 << 20;

function pipeHandle(stream: Readable): PipeHandle | undefined {
  const handle = (stream as unknown as { _handle?: Partial<PipeHandle> })._handle;
  return typeof handle?.readStop === 'function' && typeof handle.readStart === 'function'
    ? (handle as PipeHandle)
    : undefined;
}

/**
 * Calls `onLine` for each line of `stream` (without its newline); a last unterminated line is
 * passed at the end.
 * @example readLines(child.stdout, (line) => parse(line), 20, { tags: 'ME', maxWaitMs: 200 });
 */
export function readLines(
  stream: Readable,
  onLine: (line: string) => void,
  batchMs: number,
  urgent?: UrgentLines,
): LineReader {
  const decoder = new StringDecoder('utf8');
  const pipe = pipeHandle(stream);
  const handle = batchMs > 0 ? pipe : undefined;
  let rest = '';
  let paused = false;
  let lastRead = -Infinity;
  let scratch: Buffer | undefined;
  const feed = (chunk: Buffer): void => {
    const text = rest + decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  };
  const passLast = (): void => {
    const last = rest + decoder.end();
    rest = '';
    if (last) onLine(last);
  };
  /** Feeds what the pipe holds now (up to DRAIN_LIMIT); returns the bytes read (0: empty or ended). */
  const readNow = (): number => {
    const fd = pipe?.fd;
    if (fd === undefined || fd < 0 || stream.destroyed) return 0;
    scratch ??= Buffer.allocUnsafe(64 * 1024);
    let total = 0;
    while (total < DRAIN_LIMIT) {
      let n: number;
      try {
        n = readSync(fd, scratch, 0, scratch.length, null);
      } catch {
        break; // EAGAIN: empty for now (or closed: the stream's own end follows)
      }
      if (n <= 0) break;
      feed(scratch.subarray(0, n));
      total += n;
      if (n < scratch.length) break; // a short read took all the pipe held
    }
    return total;
  };
  const native = urgent && batchMs > 0 ? loadBatchReader() : null;
  const fd = pipe?.fd;
  if (urgent && native && pipe && fd !== undefined && fd >= 0) {
    // The thread reads a dup of the pipe; libuv stops reading it until the thread saw it end.
    pipe.readStop();
    let ended = false;
    const take = (): void => {
      if (ended) return;
      const [data, over] = native.take(reader);
      if (data.length > 0) feed(data);
      if (!over) return;
      ended = true;
      native.stop(reader);
      if (stream.destroyed) return;
      // The stream reads its end of file and ends as it would have. Should the thread have
      // stopped on an error instead, the stream goes on with whatever still comes.
      stream.on('data', feed);
      stream.resume();
      pipe.readStart();
    };
    const gather = urgent.nativeBatchMs ?? batchMs;
    const reader = native.start(fd, urgent.tags, gather, urgent.maxWaitMs, take);
    stream.once('close', () => native.stop(reader));
    stream.on('end', passLast);
    return { drain: take };
  }
  // While lines keep coming, a timer reads the pipe straight into one buffer: the stream's way
  // (restarting the pipe's watch, a wake-up, a fresh buffer, a push through the stream) cost a
  // quarter more CPU per batch (1,650 lines in 3 s at 20 ms: 76 against 57 ms, medians of 5).
  // A timer that finds the pipe empty hands it back to the stream, which wakes on the next line.
  const poll = (): void => {
    if (stream.destroyed) return;
    if (readNow() > 0) {
      lastRead = performance.now();
      setTimeout(poll, batchMs);
      return;
    }
    paused = false;
    handle?.readStart();
  };
  stream.on('data', (chunk: Buffer) => {
    feed(chunk);
    const now = performance.now();
    const busy = now - lastRead < 2 * batchMs;
    lastRead = now;
    if (!handle || !busy || paused || stream.destroyed) return;
    paused = true;
    handle.readStop();
    setTimeout(poll, batchMs);
  });
  stream.on('end', passLast);
  return {
    drain(): void {
      // Nothing is lost or reordered: libuv hands over each read at once, so whatever it read
      // before this was fed already, and what this reads is fed before libuv reads again.
      readNow();
    },
  };
}
