/**
 * Collects the network leftovers of cordon processes that are gone (crashed, SIGKILLed): netns
 * `cordon-N`, veth `cdnN` and the nft chains of slot N. A veth's alias names its owner process;
 * a netns without a veth is only collected once it is old enough not to be one being built.
 */
import { readdirSync, statSync } from 'node:fs';
import {
  NETNS_DIR,
  NETNS_PREFIX,
  ownerAlive,
  slotSpec,
  destroySlot,
  VETH_PREFIX,
} from './netns.js';
import { listSandboxChainIds, removeSandboxRules } from './nft.js';
import { runTool } from './tools.js';

export interface LeftoverReport {
  /** Slot ids whose netns, veth and rules were removed. */
  removed: string[];
}

export interface CollectOptions {
  /** A netns with no veth younger than this is left alone (another process may be building it). */
  minAgeMs?: number;
}

/** @example const { removed } = await collectLeftovers(); */
export async function collectLeftovers(options: CollectOptions = {}): Promise<LeftoverReport> {
  const minAgeMs = options.minAgeMs ?? 30_000;
  const vethIds = new Map<string, boolean>(); // id -> owner alive
  for (const { name, alias } of await listVeths()) {
    const m = new RegExp(`^${VETH_PREFIX}(\\d+)$`).exec(name);
    if (m?.[1]) vethIds.set(m[1], ownerAlive(alias));
  }
  const dead = new Set<string>();
  for (const [id, alive] of vethIds) if (!alive) dead.add(id);
  for (const name of safeReaddir(NETNS_DIR)) {
    const m = new RegExp(`^${NETNS_PREFIX}(\\d+)$`).exec(name);
    if (!m?.[1] || vethIds.has(m[1])) continue;
    if (Date.now() - mtimeMs(`${NETNS_DIR}/${name}`) >= minAgeMs) dead.add(m[1]);
  }
  // Chains are made after their veth and removed before it: a chain without a veth is a leftover.
  for (const id of await listSandboxChainIds()) if (!vethIds.has(id)) dead.add(id);

  for (const id of dead) {
    const slot = Number(id);
    await removeSandboxRules(id, `${VETH_PREFIX}${id}`);
    if (Number.isInteger(slot) && slot >= 1) await destroySlot(slotSpec(slot));
  }
  return { removed: [...dead] };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Host-side veths with their alias, from `ip -j` rather than /sys/class/net: sysfs shows the
 * interfaces of the netns it was mounted in, which need not be this process's.
 */
export async function listVeths(): Promise<{ name: string; alias: string }[]> {
  const r = await runTool('ip', ['-j', 'link', 'show', 'type', 'veth']);
  if (r.code !== 0) return [];
  try {
    const links = JSON.parse(r.stdout) as { ifname?: string; ifalias?: string }[];
    return links.map((l) => ({ name: l.ifname ?? '', alias: l.ifalias ?? '' }));
  } catch {
    return [];
  }
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
