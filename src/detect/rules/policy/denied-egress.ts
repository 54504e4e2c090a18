/**
 * net.denied-egress: any other egress the policy denied: a TCP flow, a dropped UDP/ICMP/IPv6
 * packet, a denied DNS name, or a query sent to a resolver other than cordon's. Each is worth a
 * line in the report, not a verdict. ATT&CK T1071. Severity low.
 */
import { defineRule } from '../../rule.js';
import { destination } from '../../lib/net.js';

export const deniedEgress = defineRule({
  id: 'net.denied-egress',
  category: 'policy',
  severity: 'low',
  attack: ['T1071'],
  reason: 'Egress the policy does not allow was attempted',
  kinds: ['net.flow', 'net.drop', 'net.dns'],
  check(event) {
    switch (event.kind) {
      case 'net.flow':
        if (event.decision !== 'deny' || event.phase !== 'open') return null;
        return {
          detail: `${event.protocol} to ${destination(event)} denied`,
          evidence: {
            destination: destination(event),
            protocol: event.protocol,
            rule: event.rule,
            flowId: event.flowId,
          },
          pid: event.pid,
          exe: event.exe,
          key: destination(event),
        };
      case 'net.drop': {
        const dest = `${event.address}${event.port === undefined ? '' : `:${event.port}`}`;
        return {
          detail: `${event.protocol} to ${dest} dropped`,
          evidence: { protocol: event.protocol, destination: dest },
          key: dest,
        };
      }
      case 'net.dns':
        if (event.resolver !== undefined && event.decision === 'deny') {
          return {
            detail: `DNS query to outside resolver ${event.resolver} blocked`,
            evidence: { resolver: event.resolver, name: event.name },
            key: `resolver:${event.resolver}`,
          };
        }
        if (event.decision !== 'deny') return null;
        return {
          detail: `DNS name ${event.name} denied`,
          evidence: { name: event.name.slice(0, 253), qtype: event.qtype },
          key: event.name,
        };
    }
  },
});
