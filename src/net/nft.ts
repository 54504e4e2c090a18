/**
 * nftables for the network cordon: one shared table `ip cordon` (plus `ip6 cordon`, which drops all
 * IPv6 from the veths). Base chains dispatch on the input interface through verdict maps, so a
 * sandbox's rules are one element in each map and a chain of its own: added and removed without rule
 * handles, in one `nft -f` transaction.
 *  - nat prerouting: DNS (udp/tcp 53, to any resolver) -> cordon's DNS ports; all other TCP -> the proxy.
 *  - filter prerouting: everything else from the veth is recorded in a per-sandbox dynamic set
 *    (address . protocol . port), counted in a named counter, and dropped.
 *  - input: the proxy/DNS ports accept new connections only from cordon veths.
 */
import { mustRunTool, runTool } from './tools.js';
import { VETH_PREFIX } from './netns.js';

export const TABLE = 'cordon';

export interface ServicePorts {
  proxy: number;
  dnsUdp: number;
  dnsTcp: number;
}

export interface DropRecord {
  address: string;
  protocol: string;
  port?: number;
}

const BASE_TABLE = `
table ip ${TABLE} {
  map nat_dispatch { type ifname : verdict; }
  map filter_dispatch { type ifname : verdict; }
  set service_ports { type inet_service; }
  chain nat_pre {
    type nat hook prerouting priority dstnat - 10; policy accept;
    iifname vmap @nat_dispatch
  }
  chain nat_post {
    # Empty, but needed: the kernel un-NATs replies (the DNS server's answers) only at hooks
    # where a nat chain is registered.
    type nat hook postrouting priority srcnat; policy accept;
  }
  chain filter_pre {
    type filter hook prerouting priority -150; policy accept;
    iifname vmap @filter_dispatch
    iifname "${VETH_PREFIX}*" drop
  }
  chain input {
    type filter hook input priority filter - 10; policy accept;
    iifname "${VETH_PREFIX}*" meta l4proto { tcp, udp } th dport @service_ports accept
    iifname "${VETH_PREFIX}*" drop
    meta l4proto { tcp, udp } th dport @service_ports ct state new drop
  }
  chain forward {
    type filter hook forward priority filter - 10; policy accept;
    iifname "${VETH_PREFIX}*" drop
    oifname "${VETH_PREFIX}*" drop
  }
}
table ip6 ${TABLE} {
  chain pre {
    type filter hook prerouting priority -150; policy accept;
    iifname "${VETH_PREFIX}*" counter drop
  }
}
`;

let ensured: Promise<void> | undefined;

/** Creates the shared tables once (a concurrent creator at worst duplicates an idempotent rule). */
export function ensureTable(): Promise<void> {
  ensured ??= (async () => {
    const listed = await runTool('nft', ['list', 'chain', 'ip', TABLE, 'nat_post']);
    if (listed.code === 0) return;
    await mustRunTool('nft', ['-f', '-'], BASE_TABLE);
  })().catch((error: unknown) => {
    ensured = undefined;
    throw error;
  });
  return ensured;
}

export async function addServicePorts(ports: ServicePorts): Promise<void> {
  await mustRunTool(
    'nft',
    ['-f', '-'],
    `add element ip ${TABLE} service_ports { ${portList(ports)} }\n`,
  );
}

export async function removeServicePorts(ports: ServicePorts): Promise<void> {
  await runTool(
    'nft',
    ['-f', '-'],
    `delete element ip ${TABLE} service_ports { ${portList(ports)} }\n`,
  );
}

function portList(p: ServicePorts): string {
  return [...new Set([p.proxy, p.dnsUdp, p.dnsTcp])].join(', ');
}

/** The nft script adding one sandbox's rules, keyed by its host veth name. */
export function sandboxRulesScript(id: string, veth: string, ports: ServicePorts): string {
  const t = `ip ${TABLE}`;
  return [
    `add counter ${t} drop_${id}`,
    `add set ${t} drops_${id} { type ipv4_addr . inet_proto . inet_service; flags dynamic; size 4096; }`,
    `add chain ${t} nat_${id}`,
    `add rule ${t} nat_${id} udp dport 53 redirect to :${ports.dnsUdp}`,
    `add rule ${t} nat_${id} tcp dport 53 redirect to :${ports.dnsTcp}`,
    `add rule ${t} nat_${id} meta l4proto tcp redirect to :${ports.proxy}`,
    `add chain ${t} filt_${id}`,
    `add rule ${t} filt_${id} ct state invalid counter name drop_${id} drop`,
    `add rule ${t} filt_${id} meta l4proto tcp accept`,
    `add rule ${t} filt_${id} udp dport 53 accept`,
    `add rule ${t} filt_${id} meta l4proto { tcp, udp } add @drops_${id} { ip daddr . meta l4proto . th dport } counter name drop_${id} drop`,
    `add rule ${t} filt_${id} add @drops_${id} { ip daddr . meta l4proto . 0 } counter name drop_${id} drop`,
    `add element ${t} nat_dispatch { "${veth}" : jump nat_${id} }`,
    `add element ${t} filter_dispatch { "${veth}" : jump filt_${id} }`,
    '',
  ].join('\n');
}

export async function installSandboxRules(
  id: string,
  veth: string,
  ports: ServicePorts,
): Promise<void> {
  await ensureTable();
  await mustRunTool('nft', ['-f', '-'], sandboxRulesScript(id, veth, ports));
}

/** Removes one sandbox's rules; each object separately, so a half-made set is still cleaned. */
export async function removeSandboxRules(id: string, veth: string): Promise<void> {
  const t = `ip ${TABLE}`;
  const all = [
    `delete element ${t} nat_dispatch { "${veth}" }`,
    `delete element ${t} filter_dispatch { "${veth}" }`,
    `delete chain ${t} nat_${id}`,
    `delete chain ${t} filt_${id}`,
    `delete set ${t} drops_${id}`,
    `delete counter ${t} drop_${id}`,
  ];
  const r = await runTool('nft', ['-f', '-'], all.join('\n') + '\n');
  if (r.code === 0) return;
  // One missing object aborts the whole transaction: fall back to one command at a time.
  for (const cmd of all) await runTool('nft', ['-f', '-'], cmd + '\n');
}

/** Destinations dropped so far for one sandbox (address, protocol, port), from its dynamic set. */
export async function readDrops(id: string): Promise<DropRecord[]> {
  const r = await runTool('nft', ['-j', 'list', 'set', 'ip', TABLE, `drops_${id}`]);
  if (r.code !== 0) return [];
  return parseDropSet(r.stdout);
}

/** Dropped destinations of every sandbox, by slot id, in one `nft` call. */
export async function readAllDrops(): Promise<Map<string, DropRecord[]>> {
  const r = await runTool('nft', ['-j', 'list', 'table', 'ip', TABLE]);
  return r.code === 0 ? parseDropSets(r.stdout) : new Map();
}

export function parseDropSet(json: string): DropRecord[] {
  return [...parseDropSets(json).values()].flat();
}

/** `nft -j` output -> drop records per set `drops_<id>`. */
export function parseDropSets(json: string): Map<string, DropRecord[]> {
  const bySet = new Map<string, DropRecord[]>();
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return bySet;
  }
  const items = (doc as { nftables?: unknown[] }).nftables ?? [];
  for (const item of items) {
    const set = (item as { set?: { name?: string; elem?: unknown[] } }).set;
    const id = /^drops_(.+)$/.exec(set?.name ?? '')?.[1];
    if (!set || !id) continue;
    const out: DropRecord[] = [];
    bySet.set(id, out);
    for (const e of set.elem ?? []) {
      // Plain elements are {concat: [...]}; elements with timeouts or counters are {elem: {val: ...}}.
      const val = (e as { elem?: { val?: unknown } }).elem?.val ?? e;
      const concat = (val as { concat?: unknown[] }).concat;
      if (!Array.isArray(concat) || concat.length !== 3) continue;
      const [address, protocol, port] = concat as [unknown, unknown, unknown];
      const rec: DropRecord = { address: String(address), protocol: String(protocol) };
      if ((protocol === 'udp' || protocol === 'tcp') && typeof port === 'number') rec.port = port;
      out.push(rec);
    }
  }
  return bySet;
}

/** Packets dropped so far for one sandbox (its named counter). */
export async function readDropCount(id: string): Promise<number> {
  const r = await runTool('nft', ['-j', 'list', 'counter', 'ip', TABLE, `drop_${id}`]);
  if (r.code !== 0) return 0;
  const m = /"packets":\s*(\d+)/.exec(r.stdout);
  return m ? Number(m[1]) : 0;
}

/** Ids that have per-sandbox chains in the shared table (for leftover collection). */
export async function listSandboxChainIds(): Promise<string[]> {
  const r = await runTool('nft', ['-j', 'list', 'table', 'ip', TABLE]);
  if (r.code !== 0) return [];
  const ids = new Set<string>();
  try {
    const doc = JSON.parse(r.stdout) as { nftables?: { chain?: { name?: string } }[] };
    for (const item of doc.nftables ?? []) {
      const m = /^(?:nat|filt)_(\d+)$/.exec(item.chain?.name ?? '');
      if (m?.[1]) ids.add(m[1]);
    }
  } catch {
    return [];
  }
  return [...ids];
}
