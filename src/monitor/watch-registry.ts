/**
 * Which v2 cgroup ids belong to which watched sandbox. A sandbox registers its own cgroup id;
 * events from a cgroup nested below it (found by walking its directory when an unknown id shows
 * up) are attributed to it too. Ids are cgroup2 inode numbers, the bpftrace `cgroup` builtin.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CordonError } from '../errors.js';
import type { Attribution } from '../events/index.js';

export interface WatchEntry {
  sandboxId: string;
  cgroupId: number;
  /** The cgroup2 directory, when known: lets nested cgroups be found. */
  dir?: string | undefined;
  attribution: () => Attribution;
  /**
   * When set, nothing is published until a process of the sandbox execs this path (its init):
   * the launcher's own mounts and unshares before it are cordon's doing, not the agent's.
   */
  armOnExec?: string | ((filename: string) => boolean) | undefined;
  armed?: boolean;
  /**
   * The launcher's pids (the process that exec'd the init, and its parent). bpftrace prints per-CPU
   * buffers, so their set-up mounts and unshares can arrive after the init's exec: they stay cordon's.
   */
  setupPids?: Set<number>;
}

export class WatchRegistry {
  private readonly byId = new Map<number, WatchEntry>();
  private readonly roots = new Set<WatchEntry>();
  /** Ids looked up and not found since the last change, so unrelated cgroups cost one walk. */
  private readonly misses = new Set<number>();

  /** @param capacity most cgroups traced at once: the kernel map's size (a full map drops silently) */
  constructor(readonly capacity = Number.POSITIVE_INFINITY) {}

  /** Registers `entry` and the cgroups already nested below its directory. */
  add(entry: WatchEntry): () => void {
    if (this.byId.size >= this.capacity) {
      // Refuse rather than run a sandbox the kernel would not trace while claiming it does.
      throw new CordonError(
        'CORDON_E_MONITOR_UNAVAILABLE',
        `eBPF monitoring traces at most ${this.capacity} cgroups at once: ${entry.sandboxId} not started`,
      );
    }
    this.byId.set(entry.cgroupId, entry);
    this.roots.add(entry);
    this.misses.clear();
    if (entry.dir) this.scan(entry, entry.dir, 4);
    return () => this.remove(entry);
  }

  /** Every cgroup id attributed to `entry` (its own and the nested ones found so far). */
  idsOf(entry: WatchEntry): number[] {
    return [...this.byId].filter(([, e]) => e === entry).map(([id]) => id);
  }

  /** Every watched cgroup id. */
  ids(): number[] {
    return [...this.byId.keys()];
  }

  get size(): number {
    return this.roots.size;
  }

  /** The watch an event from cgroup `id` belongs to, if any. */
  lookup(id: number): WatchEntry | undefined {
    const hit = this.byId.get(id);
    if (hit) return hit;
    if (this.roots.size === 0 || this.misses.has(id)) return undefined;
    for (const root of this.roots) if (root.dir) this.scan(root, root.dir, 4);
    const found = this.byId.get(id);
    if (!found) {
      if (this.misses.size > 10_000) this.misses.clear();
      this.misses.add(id);
    }
    return found;
  }

  private remove(entry: WatchEntry): void {
    this.roots.delete(entry);
    for (const [id, e] of this.byId) if (e === entry) this.byId.delete(id);
  }

  /** Registers every directory below `dir` as belonging to `root`. */
  private scan(root: WatchEntry, dir: string, depth: number): void {
    if (depth === 0) return;
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch {
      return;
    }
    for (const name of names) {
      const sub = join(dir, name);
      try {
        this.byId.set(statSync(sub).ino, root);
      } catch {
        continue;
      }
      this.scan(root, sub, depth - 1);
    }
  }
}
