/**
 * net.stratum-flow: the proxy classified a flow as stratum (v1 `mining.*`, `eth_submitLogin`,
 * xmrig `login`, or the v2 opener), on any port, also inside an HTTP CONNECT. ATT&CK T1496, T1071.
 * Severity critical: a mining pool protocol leaves no doubt, whatever the binary is called.
 */
import { defineRule } from '../../rule.js';
import { decisionText, destination, detailStrings } from '../../lib/net.js';

export const stratumFlow = defineRule({
  id: 'net.stratum-flow',
  category: 'mining',
  severity: 'critical',
  attack: ['T1496', 'T1071'],
  reason: 'A flow speaks the stratum mining protocol',
  kinds: ['net.flow'],
  check(event) {
    const strings = detailStrings(event);
    const direct = event.protocol.toLowerCase().startsWith('stratum');
    const inner = strings.some(
      (s) => s.startsWith('stratum') || s.startsWith('mining.') || s === 'eth_submitlogin',
    );
    if (!direct && !inner) return null;
    const where = direct ? '' : ' inside CONNECT';
    return {
      detail: `stratum to ${destination(event)}${where} ${decisionText(event)}`,
      evidence: {
        destination: destination(event),
        protocol: event.protocol,
        decision: event.decision,
        bytesOut: event.bytesOut,
        flowId: event.flowId,
        ...(event.details ? { details: event.details } : {}),
      },
      pid: event.pid,
      exe: event.exe,
      key: destination(event),
    };
  },
});
