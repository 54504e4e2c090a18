/**
 * One event bus per cordon process. Sources publish; detection, audit and the API subscribe.
 * Each subscriber has a bounded queue: a slow subscriber loses its oldest events (counted in
 * `dropped`) instead of growing memory without bound or stalling the sandbox.
 */
import { randomUUID } from 'node:crypto';
import type { CordonEvent, NewEvent } from './types.js';

export type Listener = (event: CordonEvent) => void;

export interface SubscribeOptions {
  /** Only events matching this predicate are delivered. */
  filter?: (event: CordonEvent) => boolean;
}

let counter = 0;
const prefix = randomUUID().slice(0, 8);

/** A process-unique event id, sortable within the process. */
export function newEventId(): string {
  counter += 1;
  return `${prefix}-${counter.toString(36).padStart(8, '0')}`;
}

export class EventBus {
  private readonly listeners = new Set<{ fn: Listener; filter?: (e: CordonEvent) => boolean }>();
  /** Events delivered to listeners that threw (a faulty subscriber never breaks a source). */
  listenerErrors = 0;

  /** Fills id and ts, then delivers synchronously to every matching listener. */
  publish<E extends CordonEvent>(event: NewEvent<E>): E {
    const full = {
      ...event,
      id: event.id ?? newEventId(),
      ts: event.ts ?? Date.now(),
    } as unknown as E;
    for (const l of this.listeners) {
      if (l.filter && !l.filter(full)) continue;
      try {
        l.fn(full);
      } catch {
        this.listenerErrors += 1;
      }
    }
    return full;
  }

  /**
   * @example const off = bus.subscribe((e) => console.log(e.kind)); off();
   * @returns the unsubscribe function
   */
  subscribe(fn: Listener, options: SubscribeOptions = {}): () => void {
    const entry = { fn, ...(options.filter ? { filter: options.filter } : {}) };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

/**
 * A bounded buffer fed by the bus, for consumers that pull (SSE streams, batch writers).
 * When full, the oldest event is dropped and counted.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  dropped = 0;
  private waiter: (() => void) | undefined;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.dropped += 1;
    }
    this.items.push(item);
    this.waiter?.();
    this.waiter = undefined;
  }

  drain(max = Infinity): T[] {
    const out = this.items.splice(0, Math.min(max, this.items.length));
    return out;
  }

  get size(): number {
    return this.items.length;
  }

  /** Resolves when at least one item is queued. */
  async wait(): Promise<void> {
    if (this.items.length > 0) return;
    await new Promise<void>((resolve) => (this.waiter = resolve));
  }
}
