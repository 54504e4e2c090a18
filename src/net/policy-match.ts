/**
 * Pure flow decisions: does `network` policy admit this destination with this protocol?
 * Order (fail closed): deny entries, then built-in denials (metadata, link-local, loopback, the
 * host's own addresses, cordon's veths) unless an allow entry names the destination explicitly,
 * then allow entries with protocol pinning, else `default-deny`.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseNetworkRule, type NetworkRule, type Policy } from '../policy/index.js';

export interface FlowRequest {
  /** The name the program asked for (through cordon's DNS, a CONNECT line or an absolute URI). */
  host?: string | undefined;
  /** The address the flow would really go to (after `network.hosts` mapping or resolution). */
  address: string;
  port: number;
  /** A classifier protocol (`tls`, `http`, `ssh`, `stratum`, ...). */
  protocol: string;
}

export interface FlowVerdict {
  decision: 'allow' | 'deny';
  /** The policy entry (`registry.test:443/tls`) or built-in rule (`builtin:metadata`) that decided. */
  rule: string;
}

export interface DecideOptions {
  /** The host's own addresses; default: every address of `os.networkInterfaces()` (cached 5 s). */
  hostAddresses?: ReadonlySet<string>;
}

/** Protocols an entry without `/proto` admits; anything else (ssh, stratum, socks5...) must be pinned. */
const UNPINNED_PROTOCOLS = new Set(['tls', 'http', 'unknown']);
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data']);
const METADATA_ADDRESSES = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

/**
 * @example decideFlow({ host: 'registry.test', address: '127.0.0.1', port: 443, protocol: 'tls' },
 *   policy.network) // { decision: 'allow', rule: 'registry.test:443/tls' }
 */
export function decideFlow(
  flow: FlowRequest,
  network: Policy['network'],
  options: DecideOptions = {},
): FlowVerdict {
  const host = normalizeHost(flow.host);
  const address = normalizeAddress(flow.address);
  const allow = parseRules(network.allow);

  for (const rule of parseRules(network.deny)) {
    if (
      destinationMatches(rule, host, address, flow.port) &&
      deniedProtocolMatches(rule, flow.protocol)
    ) {
      return { decision: 'deny', rule: rule.raw };
    }
  }

  const builtin = builtinDenial(host, address, options.hostAddresses ?? ownAddresses());
  if (builtin) {
    const explicit = allow.find(
      (r) =>
        !r.host.startsWith('*.') &&
        (r.host === host || r.host === address) &&
        portMatches(r, flow.port) &&
        protocolAdmitted(r, flow.protocol),
    );
    if (explicit) return { decision: 'allow', rule: explicit.raw };
    const named = allow.find(
      (r) =>
        !r.host.startsWith('*.') &&
        (r.host === host || r.host === address) &&
        portMatches(r, flow.port),
    );
    // Named explicitly but with another protocol: say so, it is the more useful reason.
    return { decision: 'deny', rule: named ? `protocol-not-allowed:${named.raw}` : builtin };
  }

  let protocolMismatch: NetworkRule | undefined;
  for (const rule of allow) {
    if (!destinationMatches(rule, host, address, flow.port)) continue;
    if (protocolAdmitted(rule, flow.protocol)) return { decision: 'allow', rule: rule.raw };
    protocolMismatch ??= rule;
  }
  if (protocolMismatch) {
    return { decision: 'deny', rule: `protocol-not-allowed:${protocolMismatch.raw}` };
  }
  return { decision: 'deny', rule: 'default-deny' };
}

/** Which built-in denial applies to a destination, if any (`builtin:metadata`, ...). */
export function builtinDenial(
  host: string | undefined,
  address: string,
  hostAddresses: ReadonlySet<string> = ownAddresses(),
): string | undefined {
  if ((host && METADATA_NAMES.has(host)) || METADATA_ADDRESSES.has(address))
    return 'builtin:metadata';
  if (host === 'localhost' || host?.endsWith('.localhost')) return 'builtin:loopback';
  if (isIP(address) === 4) {
    const n = ipv4ToInt(address);
    if (inCidr(n, '127.0.0.0', 8) || inCidr(n, '0.0.0.0', 8)) return 'builtin:loopback';
    if (inCidr(n, '169.254.0.0', 16)) return 'builtin:link-local';
    if (inCidr(n, '198.19.0.0', 16)) return 'builtin:cordon-veth';
  } else if (isIP(address) === 6) {
    if (address === '::1' || address === '::') return 'builtin:loopback';
    if (/^fe[89ab][0-9a-f]:/i.test(address)) return 'builtin:link-local';
  }
  if (hostAddresses.has(address)) return 'builtin:host-address';
  return undefined;
}

const parsedCache = new WeakMap<readonly string[], NetworkRule[]>();

function parseRules(entries: readonly string[]): NetworkRule[] {
  const cached = parsedCache.get(entries);
  if (cached) return cached;
  const out: NetworkRule[] = [];
  for (const e of entries) {
    const r = parseNetworkRule(e);
    // The policy schema already rejected invalid entries; skipping here keeps this pure and total.
    if (typeof r !== 'string') out.push(r);
  }
  parsedCache.set(entries, out);
  return out;
}

function destinationMatches(
  rule: NetworkRule,
  host: string | undefined,
  address: string,
  port: number,
): boolean {
  return portMatches(rule, port) && (hostMatches(rule.host, host) || rule.host === address);
}

function portMatches(rule: NetworkRule, port: number): boolean {
  return port >= rule.portLow && port <= rule.portHigh;
}

function hostMatches(pattern: string, host: string | undefined): boolean {
  if (!host) return false;
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1); // ".example.test": any subdomain, never the apex itself
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  return pattern === host;
}

/** Pinning: `/tls` admits only tls; no protocol admits tls/http/unknown only. */
function protocolAdmitted(rule: NetworkRule, protocol: string): boolean {
  if (rule.protocol === 'any') return UNPINNED_PROTOCOLS.has(protocol);
  if (rule.protocol === 'http') return protocol === 'http' || protocol === 'http-connect';
  return rule.protocol === protocol;
}

/** A deny entry without a protocol denies every protocol; a pinned one only that protocol. */
function deniedProtocolMatches(rule: NetworkRule, protocol: string): boolean {
  if (rule.protocol === 'any') return true;
  return protocolAdmitted(rule, protocol);
}

function normalizeHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const h = host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\[|\]$/g, '');
  return h === '' ? undefined : h;
}

function normalizeAddress(address: string): string {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped?.[1] ?? a;
}

export function ipv4ToInt(address: string): number {
  const parts = address.split('.').map(Number);
  return (
    (((parts[0] ?? 0) << 24) |
      ((parts[1] ?? 0) << 16) |
      ((parts[2] ?? 0) << 8) |
      (parts[3] ?? 0)) >>>
    0
  );
}

function inCidr(n: number, base: string, bits: number): boolean {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (n & mask) >>> 0 === (ipv4ToInt(base) & mask) >>> 0;
}

let ownCache: { at: number; set: Set<string> } | undefined;

/** The host's own addresses, cached briefly: veths come and go, but a flow decision must stay cheap. */
export function ownAddresses(): ReadonlySet<string> {
  const now = Date.now();
  if (ownCache && now - ownCache.at < 5_000) return ownCache.set;
  const set = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) set.add(normalizeAddress(info.address.replace(/%.*$/, '')));
  }
  ownCache = { at: now, set };
  return set;
}
