/**
 * Network facts rules share: whether a policy lists a host, what looks like a mining pool, cloud
 * metadata endpoints, and a short human description of a flow.
 */
import type { NetFlowEvent } from '../../events/index.js';
import { parseNetworkRule, type Policy } from '../../policy/index.js';

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.'))
    return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return pattern === host;
}

/** True when `policy.network.allow` lists the host (on `port`, when given). */
export function policyAllowsHost(policy: Policy | undefined, host: string, port?: number): boolean {
  if (!policy) return false;
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const raw of policy.network.allow) {
    const rule = parseNetworkRule(raw);
    if (typeof rule === 'string' || !hostMatches(rule.host, h)) continue;
    if (port === undefined || (port >= rule.portLow && port <= rule.portHigh)) return true;
  }
  return false;
}

/** Ports miners and pools commonly use (stratum and its TLS variants). */
export const POOL_PORTS = new Set([
  3333, 3334, 3335, 3357, 4444, 4445, 5555, 5556, 6666, 7777, 9999, 10128, 10300, 12222, 13333,
  14433, 14444, 15555, 17777, 18081, 19999, 20535, 20580, 25000, 45560, 45700,
]);

/** Domains of well-known public pools (suffix match). */
const POOL_DOMAINS = [
  'minexmr.com',
  'supportxmr.com',
  'moneroocean.stream',
  'nanopool.org',
  'f2pool.com',
  '2miners.com',
  'ethermine.org',
  'nicehash.com',
  'hashvault.pro',
  'herominers.com',
  'unmineable.com',
  'c3pool.com',
  'xmrpool.eu',
  'miningpoolhub.com',
  'flexpool.io',
  'hiveon.net',
  'zergpool.com',
  'prohashing.com',
  'kryptex.network',
  'woolypooly.com',
  'antpool.com',
  'viabtc.com',
  'poolin.com',
  'p2pool.io',
];

export function isKnownPoolDomain(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.toLowerCase().replace(/\.$/, '');
  return POOL_DOMAINS.some((d) => h === d || h.endsWith(`.${d}`));
}

const POOL_WORD =
  /(^|[.-])(pool|pools|mine|miner|mining|xmr|monero|stratum|hashvault|nicehash)([.-]|\d|$)/;

/** A destination that looks like a pool: a known pool domain, a pool-ish name, or a stratum port. */
export function isPoolLike(host: string | undefined, port: number, protocol?: string): boolean {
  if (protocol?.startsWith('stratum')) return true;
  if (isKnownPoolDomain(host)) return true;
  if (host && POOL_WORD.test(host.toLowerCase())) return true;
  return POOL_PORTS.has(port);
}

const METADATA_ADDRESSES = new Set([
  '169.254.169.254',
  'fd00:ec2::254',
  '169.254.170.2',
  '100.100.100.200',
  '169.254.169.123',
  '192.0.0.192',
]);
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata',
  'instance-data',
  'metadata.azure.com',
]);

/** Cloud instance metadata endpoints (AWS, GCP, Azure, Alibaba, ECS, OCI). */
export function isMetadataEndpoint(hostOrAddress: string | undefined): boolean {
  if (!hostOrAddress) return false;
  const h = hostOrAddress
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  return (
    METADATA_ADDRESSES.has(h) || METADATA_NAMES.has(h) || h.endsWith('.metadata.google.internal')
  );
}

/** `pool.rogue.test:3333` (name when known, else the address). */
export function destination(flow: Pick<NetFlowEvent, 'host' | 'address' | 'port'>): string {
  const host = flow.host ?? (flow.address.includes(':') ? `[${flow.address}]` : flow.address);
  return `${host}:${flow.port}`;
}

/** Every string the classifier attached to a flow (inner protocol of a CONNECT, stratum method). */
export function detailStrings(flow: Pick<NetFlowEvent, 'details'>): string[] {
  const out: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (typeof v === 'string') out.push(v.slice(0, 256).toLowerCase());
    else if (depth < 3 && v && typeof v === 'object')
      for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(flow.details, 0);
  return out.slice(0, 64);
}

/** `denied, 0 bytes sent` / `allowed, 1200 bytes sent`. */
export function decisionText(flow: Pick<NetFlowEvent, 'decision' | 'bytesOut'>): string {
  return `${flow.decision === 'deny' ? 'denied' : 'allowed'}, ${flow.bytesOut} bytes sent`;
}
