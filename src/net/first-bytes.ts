/**
 * Reads a flow's first bytes until the classifier can decide: bounded by MAX_CLASSIFY_BYTES and
 * a deadline (protocols where the server speaks first send nothing). The socket is left paused,
 * with whatever came after the decision still buffered in it, ready to be piped.
 */
import type { Socket } from 'node:net';
import { classify, MAX_CLASSIFY_BYTES, type Classification } from './classify/index.js';

export interface FirstBytes {
  buf: Buffer;
  cls: Classification;
  /** The client closed its side (or the socket failed) before the decision. */
  ended: boolean;
}

export function readFirstBytes(
  socket: Socket,
  options: { deadlineMs: number; initial?: Buffer },
): Promise<FirstBytes> {
  return new Promise((resolve) => {
    let buf = options.initial ?? Buffer.alloc(0);
    let done = false;
    const finish = (final: boolean, ended: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      const head = buf.length > MAX_CLASSIFY_BYTES ? buf.subarray(0, MAX_CLASSIFY_BYTES) : buf;
      // Bytes past the classification window were read already: give them back to the stream.
      if (buf.length > MAX_CLASSIFY_BYTES) socket.unshift(buf.subarray(MAX_CLASSIFY_BYTES));
      resolve({ buf: head, cls: classify(head, { final: final || ended }), ended });
    };
    const check = () => {
      if (buf.length >= MAX_CLASSIFY_BYTES) return finish(true, false);
      if (buf.length > 0 && classify(buf).complete) finish(false, false);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      check();
    };
    const onEnd = () => finish(true, true);
    const timer = setTimeout(() => finish(true, false), options.deadlineMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
    socket.once('close', onEnd);
    if (buf.length > 0) check();
    if (!done) socket.resume();
  });
}
