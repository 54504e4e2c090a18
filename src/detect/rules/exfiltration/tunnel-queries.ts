/**
 * dns.tunnel-queries: DNS used as a data channel: a query scored as a tunnel (>= 0.7: long, high-entropy
 * labels, TXT/NULL), or 10 or more unique long subdomains under one zone within a minute.
 * ATT&CK T1048, T1071.004, T1572. Severity high.
 */
import { defineRule } from '../../rule.js';

const SCORE = 0.7;
const LONG_LABEL = 20;
const UNIQUE = 10;
const WINDOW_MS = 60_000;

/** The registrable-ish zone: the last two labels. */
export function zoneOf(name: string): string {
  return name.toLowerCase().replace(/\.$/, '').split('.').slice(-2).join('.');
}

function subdomain(name: string): string {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.');
  return labels.slice(0, -2).join('.');
}

export const dnsTunnel = defineRule({
  id: 'dns.tunnel-queries',
  category: 'exfiltration',
  severity: 'high',
  attack: ['T1048', 'T1071.004', 'T1572'],
  reason: 'DNS queries carry data (tunnelling or exfiltration)',
  kinds: ['net.dns'],
  check(event, state) {
    const zone = zoneOf(event.name);
    if (event.tunnelScore >= SCORE) {
      return {
        detail: `DNS tunnel-like query under ${zone} (score ${event.tunnelScore.toFixed(2)})`,
        evidence: {
          name: event.name.slice(0, 253),
          qtype: event.qtype,
          tunnelScore: event.tunnelScore,
          zone,
        },
        key: zone,
      };
    }
    if (subdomain(event.name).length < LONG_LABEL) return null;
    const unique = new Set(
      state
        .dns(state.now - WINDOW_MS)
        .filter((d) => zoneOf(d.name) === zone && subdomain(d.name).length >= LONG_LABEL)
        .map((d) => d.name.toLowerCase()),
    );
    if (unique.size < UNIQUE) return null;
    return {
      detail: `${unique.size} unique long subdomains of ${zone} in ${WINDOW_MS / 1000} s`,
      evidence: { zone, uniqueNames: unique.size, example: event.name.slice(0, 253) },
      key: zone,
    };
  },
});
