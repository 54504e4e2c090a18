/**
 * net.mining-pool-destination: a DNS query or flow names a well-known public mining pool domain.
 * ATT&CK T1496. Severity high: the name alone is strong, but a lookup is not yet mining.
 */
import { defineRule } from '../../rule.js';
import { decisionText, destination, isKnownPoolDomain } from '../../lib/net.js';

export const poolDestination = defineRule({
  id: 'net.mining-pool-destination',
  category: 'mining',
  severity: 'high',
  attack: ['T1496'],
  reason: 'A known mining pool was looked up or contacted',
  kinds: ['net.flow', 'net.dns'],
  check(event) {
    if (event.kind === 'net.dns') {
      if (!isKnownPoolDomain(event.name)) return null;
      return {
        detail: `DNS lookup of pool ${event.name}`,
        evidence: { name: event.name },
        key: event.name,
      };
    }
    if (!isKnownPoolDomain(event.host ?? event.sni ?? event.httpHost)) return null;
    return {
      detail: `flow to pool ${destination(event)} ${decisionText(event)}`,
      evidence: { destination: destination(event), decision: event.decision, flowId: event.flowId },
      pid: event.pid,
      exe: event.exe,
      key: destination(event),
    };
  },
});
