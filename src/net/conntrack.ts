/**
 * The destination a redirected DNS query was really sent to, from /proc/net/nf_conntrack: a UDP
 * socket in Node cannot ask for it (no IP_RECVORIGDSTADDR). Used to record queries a sandbox sent
 * to an outside resolver (answered by cordon all the same).
 */
import { readFileSync } from 'node:fs';

const CONNTRACK = '/proc/net/nf_conntrack';

/**
 * @example originalDstFromConntrack(text, 'udp', '198.19.0.2', 40000) // '198.18.0.9:53'
 */
export function originalDstFromConntrack(
  table: string,
  transport: 'udp' | 'tcp',
  srcAddress: string,
  srcPort: number,
): string | undefined {
  const needle = `src=${srcAddress} `;
  for (const line of table.split('\n')) {
    if (!line.includes(needle) || !line.includes(` ${transport} `)) continue;
    // The original tuple comes first: src, dst, sport, dport; the reply tuple repeats them.
    const src = /src=(\S+)/.exec(line)?.[1];
    const dst = /dst=(\S+)/.exec(line)?.[1];
    const sport = /sport=(\d+)/.exec(line)?.[1];
    const dport = /dport=(\d+)/.exec(line)?.[1];
    if (src === srcAddress && Number(sport) === srcPort && dst && dport) return `${dst}:${dport}`;
  }
  return undefined;
}

/** Reads the live conntrack table (of this process's netns); undefined when unavailable. */
export function lookupOriginalDst(
  transport: 'udp' | 'tcp',
  srcAddress: string,
  srcPort: number,
): string | undefined {
  let table: string;
  try {
    table = readFileSync(CONNTRACK, 'utf8');
  } catch {
    return undefined;
  }
  return originalDstFromConntrack(table, transport, srcAddress, srcPort);
}
