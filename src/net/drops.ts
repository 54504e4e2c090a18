/**
 * Publishes `net.drop` events for packets the veth filter dropped (other UDP, ICMP...): nft records
 * each new (address, protocol, port) in the sandbox's dynamic set; this polls those sets and
 * publishes each destination once, and a last time when the sandbox detaches.
 */
import type { Attribution, EventBus } from '../events/index.js';
import { readAllDrops, readDrops, type DropRecord } from './nft.js';

interface Watched {
  attribution: () => Attribution;
  seen: Set<string>;
}

export class DropPoller {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly intervalMs: number,
  ) {}

  watch(id: string, attribution: () => Attribution): void {
    this.watched.set(id, { attribution, seen: new Set() });
    if (!this.timer && this.intervalMs > 0) {
      this.timer = setInterval(() => void this.pollAll(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** A final read of the sandbox's drops, then forgets it. */
  async unwatch(id: string): Promise<void> {
    await this.polling;
    await this.poll(id);
    this.watched.delete(id);
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private pollAll(): Promise<void> {
    this.polling ??= (async () => {
      const all = await readAllDrops();
      for (const [id, drops] of all) {
        const w = this.watched.get(id);
        if (w) for (const d of drops) this.publish(w, d);
      }
    })().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async poll(id: string): Promise<void> {
    const w = this.watched.get(id);
    if (!w) return;
    for (const d of await readDrops(id)) this.publish(w, d);
  }

  private publish(w: Watched, d: DropRecord): void {
    const key = `${d.address}|${d.protocol}|${d.port ?? ''}`;
    if (w.seen.has(key)) return;
    w.seen.add(key);
    this.bus.publish({
      kind: 'net.drop',
      ...w.attribution(),
      protocol: d.protocol,
      address: d.address,
      ...(d.port !== undefined ? { port: d.port } : {}),
    });
  }
}
