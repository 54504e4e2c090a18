/**
 * A small pool of ready sandbox networks (netns + veth + nft rules), refilled in the background,
 * so that attaching a sandbox costs no process spawn. Rules depend only on the veth and cordon's
 * ports, never on the policy (the proxy decides), which is what makes pre-making them possible.
 */
import { createSlot, destroySlot, MAX_SLOT, slotSpec, type NetSlot } from './netns.js';
import { installSandboxRules, removeSandboxRules, type ServicePorts } from './nft.js';

export interface SlotPoolOptions {
  ports: ServicePorts;
  /** Ready networks kept in reserve; 0 makes every attach build its own (about 50 ms). */
  size?: number;
}

export class SlotPool {
  private readonly ready: NetSlot[] = [];
  private readonly owned = new Set<number>();
  private cursor = 1 + Math.floor(Math.random() * MAX_SLOT);
  private filling: Promise<void> | undefined;
  private closed = false;
  /** The last background failure, surfaced by the next `take()` that has to build synchronously. */
  lastError: unknown;

  constructor(private readonly options: SlotPoolOptions) {}

  get size(): number {
    return this.options.size ?? 2;
  }

  get readyCount(): number {
    return this.ready.length;
  }

  /** A ready network: from the pool when one is there, else built now. Refills in the background. */
  async take(): Promise<NetSlot> {
    const slot = this.ready.shift() ?? (await this.build());
    // Later, not now: spawning `ip` forks this (large) process, which the caller should not wait on.
    setImmediate(() => this.refill());
    return slot;
  }

  /** Tears a network down (rules first, so no chain ever outlives its veth). */
  async release(slot: NetSlot): Promise<void> {
    try {
      await removeSandboxRules(slot.id, slot.vethHost);
      await destroySlot(slot);
    } finally {
      this.owned.delete(slot.slot);
    }
  }

  /** Fills the pool up to its size; resolves when done (used once at start). */
  async fill(): Promise<void> {
    this.refill();
    await this.filling;
  }

  refill(): void {
    if (this.filling || this.closed) return;
    this.filling = (async () => {
      while (!this.closed && this.ready.length < this.size) {
        try {
          this.ready.push(await this.build());
        } catch (error) {
          this.lastError = error;
          return;
        }
      }
    })().finally(() => {
      this.filling = undefined;
    });
  }

  /** Removes every pooled network (attached ones are released by their attachments). */
  async close(): Promise<void> {
    this.closed = true;
    await this.filling;
    const spare = this.ready.splice(0);
    await Promise.all(spare.map((s) => this.release(s)));
  }

  private async build(): Promise<NetSlot> {
    for (let tries = 0; tries < 64; tries++) {
      const spec = slotSpec(this.nextSlot());
      this.owned.add(spec.slot);
      let created = false;
      try {
        created = await createSlot(spec);
        if (created) {
          await installSandboxRules(spec.id, spec.vethHost, this.options.ports);
          return spec;
        }
      } catch (error) {
        if (created) await this.release(spec);
        else this.owned.delete(spec.slot);
        throw error;
      }
      this.owned.delete(spec.slot); // taken by another cordon process: try the next one
    }
    throw new Error('no free network slot after 64 tries');
  }

  private nextSlot(): number {
    for (;;) {
      const s = this.cursor;
      this.cursor = this.cursor >= MAX_SLOT ? 1 : this.cursor + 1;
      if (!this.owned.has(s)) return s;
    }
  }
}
