/**
 * Synthetic addresses for one sandbox: each name asked for gets a stable IPv4 address from
 * 198.18.0.0/16, handed out in order and never reused, so a later connection to that address is
 * known by the name the program resolved (denied names included).
 */
import { CordonError } from '../../errors.js';

const BASE = (198 << 24) | (18 << 16);
/** 198.18.0.1 .. 198.18.255.254: the network and broadcast-looking ends are skipped. */
export const SYNTHETIC_CAPACITY = 65534;

function toIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export class SyntheticAddresses {
  private readonly byName = new Map<string, string>();
  private readonly byIp = new Map<string, string>();

  /**
   * @param sandboxId for the error message only
   * @param capacity at most this many names (≤ SYNTHETIC_CAPACITY); lower it to bound memory
   */
  constructor(
    readonly sandboxId: string,
    readonly capacity = SYNTHETIC_CAPACITY,
  ) {
    if (capacity < 1 || capacity > SYNTHETIC_CAPACITY) {
      throw new RangeError(`capacity must be 1..${SYNTHETIC_CAPACITY}`);
    }
  }

  /**
   * The address for `name`, allocating the next free one on first use.
   * @throws CordonError CORDON_E_NETWORK_SETUP when the sandbox has used up its addresses
   * @example new SyntheticAddresses('sb1').addressFor('pool.rogue.test') // '198.18.0.1'
   */
  addressFor(name: string): string {
    const key = normalise(name);
    const known = this.byName.get(key);
    if (known) return known;
    if (this.byName.size >= this.capacity) {
      throw new CordonError(
        'CORDON_E_NETWORK_SETUP',
        `sandbox ${this.sandboxId} resolved more than ${this.capacity} distinct names: no synthetic address left`,
        { details: { sandboxId: this.sandboxId, capacity: this.capacity, name: key } },
      );
    }
    const ip = toIp((BASE + 1 + this.byName.size) >>> 0);
    this.byName.set(key, ip);
    this.byIp.set(ip, key);
    return ip;
  }

  /** The address already given to `name`, without allocating. */
  lookupAddress(name: string): string | undefined {
    return this.byName.get(normalise(name));
  }

  /** The name a synthetic address was given for, or undefined. */
  lookupName(ip: string): string | undefined {
    return this.byIp.get(ip);
  }

  get size(): number {
    return this.byName.size;
  }

  /** Every name -> address pair handed out, in allocation order. */
  entries(): [string, string][] {
    return [...this.byName];
  }
}

/** True for any address in 198.18.0.0/16 (the synthetic range). */
export function isSyntheticAddress(ip: string): boolean {
  return /^198\.18\.\d{1,3}\.\d{1,3}$/.test(ip);
}
