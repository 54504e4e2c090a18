/**
 * GET /v1/events: server-sent events. With `afterSeq`, stored events are replayed first (their SSE
 * id is the store's sequence number), then live events follow from the bus. The bus subscription
 * starts before the replay, and events already replayed are skipped, so nothing falls in the gap.
 */
import { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { BoundedQueue, type CordonEvent } from '../../events/index.js';
import type { ServerContext } from '../context.js';
import { eventMatches } from '../memory-history.js';
import { EventsQuerySchema, parseOr } from '../schemas.js';
import type { EventFilter } from '../types.js';

const HEARTBEAT_MS = 15_000;
const QUEUE_CAPACITY = 10_000;
const REPLAY_PAGE = 1000;

async function send(stream: SSEStreamingApi, event: CordonEvent, seq?: number): Promise<void> {
  const data = JSON.stringify(seq === undefined ? event : { seq, ...event });
  await stream.writeSSE(seq === undefined ? { data } : { data, id: String(seq) });
}

export function eventRoutes(ctx: ServerContext): Hono {
  const { bus, history } = ctx.deps;
  const app = new Hono();
  app.get('/', (c) => {
    const q = parseOr(EventsQuerySchema, c.req.query());
    const filter: EventFilter = {
      sandboxId: q.sandbox,
      episodeId: q.episode,
      kinds: q.kind,
      minSeverity: q.minSeverity,
    };
    return streamSSE(c, async (stream) => {
      const queue = new BoundedQueue<CordonEvent>(QUEUE_CAPACITY);
      const off = bus.subscribe((e) => queue.push(e), { filter: (e) => eventMatches(e, filter) });
      const aborted = new Promise<void>((resolve) => stream.onAbort(resolve));
      try {
        const replayed = new Set<string>();
        if (q.afterSeq !== undefined) {
          history.flush();
          let after = q.afterSeq;
          for (;;) {
            const page = history.events({ ...filter, afterSeq: after, limit: REPLAY_PAGE });
            for (const { seq, event } of page) {
              replayed.add(event.id);
              await send(stream, event, seq);
              after = seq;
            }
            if (page.length < REPLAY_PAGE || stream.aborted) break;
          }
        }
        // Tells the client the live subscription is in place (tests and UIs wait for it).
        await stream.writeSSE({ event: 'ready', data: '{}' });
        while (!stream.aborted && !stream.closed) {
          let timer: NodeJS.Timeout | undefined;
          const heartbeat = new Promise<void>(
            (resolve) => (timer = setTimeout(resolve, HEARTBEAT_MS)),
          );
          await Promise.race([queue.wait(), aborted, heartbeat]);
          clearTimeout(timer);
          const batch = queue.drain();
          if (batch.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
          for (const event of batch) {
            if (replayed.size > 0 && replayed.delete(event.id)) continue;
            await send(stream, event);
          }
        }
      } finally {
        off();
      }
    });
  });
  return app;
}
