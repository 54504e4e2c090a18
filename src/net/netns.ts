/**
 * Per-sandbox network namespace and veth pair, made with one `ip -batch` in the host namespace and
 * one `ip netns exec` inside. Slot N owns netns `cordon-N`, host veth `cdnN`, and the /30 at
 * 198.19.0.0 + 4N (host side .1, sandbox side .2). Creating the netns is the lock: `ip netns add`
 * fails when another cordon process holds the slot. The host veth's alias names its owner process,
 * so `collectLeftovers()` can tell a crashed owner's leftovers from a live one's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CordonError } from '../errors.js';
import { runTool } from './tools.js';

export const NETNS_DIR = '/run/netns';
export const VETH_PREFIX = 'cdn';
export const NETNS_PREFIX = 'cordon-';
/** 198.19.0.0/16 holds 16384 /30s; slot 0 is never used. */
export const MAX_SLOT = 16383;

export interface NetSlot {
  slot: number;
  /** Short id used in every name of this slot (`cordon-<id>`, `cdn<id>`, nft `nat_<id>`). */
  id: string;
  netnsName: string;
  netnsPath: string;
  vethHost: string;
  hostAddress: string;
  sandboxAddress: string;
}

export function slotSpec(slot: number): NetSlot {
  if (!Number.isInteger(slot) || slot < 1 || slot > MAX_SLOT) {
    throw new CordonError('CORDON_E_NETWORK_SETUP', `network slot ${slot} out of range`);
  }
  const base = 4 * slot;
  const third = base >> 8;
  const fourth = base & 0xff;
  const id = String(slot);
  return {
    slot,
    id,
    netnsName: `${NETNS_PREFIX}${id}`,
    netnsPath: `${NETNS_DIR}/${NETNS_PREFIX}${id}`,
    vethHost: `${VETH_PREFIX}${id}`,
    hostAddress: `198.19.${third}.${fourth + 1}`,
    sandboxAddress: `198.19.${third}.${fourth + 2}`,
  };
}

/** The slot a sandbox-side address belongs to, or undefined when it is not a cordon veth address. */
export function slotOfAddress(address: string): number | undefined {
  const m = /^(?:::ffff:)?198\.19\.(\d+)\.(\d+)$/.exec(address);
  if (!m) return undefined;
  const slot = (Number(m[1]) * 256 + Number(m[2])) >> 2;
  return slot >= 1 && slot <= MAX_SLOT ? slot : undefined;
}

/** Owner tag stored as the host veth's alias: `cordon:<pid>:<start time in clock ticks>`. */
export function ownerTag(pid = process.pid): string {
  return `cordon:${pid}:${processStartTime(pid) ?? 0}`;
}

export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the parenthesised command name, which may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the process named by an owner tag still runs (same pid and same start time). */
export function ownerAlive(tag: string): boolean {
  const m = /^cordon:(\d+):(\d+)$/.exec(tag.trim());
  if (!m) return false;
  const start = processStartTime(Number(m[1]));
  return start !== undefined && (m[2] === '0' || start === m[2]);
}

/**
 * Creates the netns and veth of one slot. Resolves false when the slot is taken by another
 * process (its netns exists); throws CORDON_E_NETWORK_SETUP on any other failure, after undoing.
 */
export async function createSlot(spec: NetSlot): Promise<boolean> {
  const host = await runTool(
    'ip',
    ['-batch', '-'],
    [
      `netns add ${spec.netnsName}`,
      `link add ${spec.vethHost} type veth peer name eth0 netns ${spec.netnsName}`,
      `link set ${spec.vethHost} alias ${ownerTag()}`,
      `addr add ${spec.hostAddress}/30 dev ${spec.vethHost}`,
      `link set ${spec.vethHost} up`,
      '',
    ].join('\n'),
  );
  if (host.code !== 0) {
    if (/File exists/.test(host.stderr) && /netns|namespace/i.test(host.stderr)) return false;
    await destroySlot(spec);
    throw setupError(spec, 'ip -batch (host side)', host.stderr);
  }
  // No IPv6 anywhere on the veth: the nft table is IPv4, and a link-local v6 address on the host
  // side would otherwise reach host services listening on ::.
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${spec.vethHost}/disable_ipv6`, '1');
  } catch {
    // IPv6 compiled out: nothing to disable.
  }
  const inside = await runTool(
    'ip',
    ['netns', 'exec', spec.netnsName, 'sh', '-c', INSIDE_SCRIPT],
    [
      `addr add ${spec.sandboxAddress}/30 dev eth0`,
      'link set eth0 up',
      'link set lo up',
      `route add default via ${spec.hostAddress} dev eth0`,
      '',
    ].join('\n'),
  );
  if (inside.code !== 0) {
    await destroySlot(spec);
    throw setupError(spec, 'ip (sandbox side)', inside.stderr);
  }
  return true;
}

const INSIDE_SCRIPT = [
  'for f in all default eth0 lo; do',
  '  f=/proc/sys/net/ipv6/conf/$f/disable_ipv6',
  '  if [ -e "$f" ]; then echo 1 > "$f"; fi',
  'done',
  'exec ip -batch -',
].join('\n');

/** Removes the veth (synchronously, unlike netns teardown) and the netns; tolerant of either missing. */
export async function destroySlot(spec: NetSlot): Promise<void> {
  await runTool(
    'ip',
    ['-force', '-batch', '-'],
    `link del ${spec.vethHost}\nnetns del ${spec.netnsName}\n`,
  );
}

function setupError(spec: NetSlot, step: string, stderr: string): CordonError {
  return new CordonError(
    'CORDON_E_NETWORK_SETUP',
    `${step} failed for ${spec.netnsName}: ${stderr.trim()}`,
    {
      details: { netns: spec.netnsName, veth: spec.vethHost },
    },
  );
}
