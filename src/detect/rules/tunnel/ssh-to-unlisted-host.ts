/**
 * net.ssh-to-unlisted-host: an SSH banner went to a destination the policy does not list (any port,
 * also inside CONNECT). SSH out of a sandbox is how ROME opened its reverse tunnel. ATT&CK T1572,
 * T1021.004. Severity high. Git over SSH to a listed host is allowed and not flagged.
 */
import { defineRule } from '../../rule.js';
import { decisionText, destination, detailStrings } from '../../lib/net.js';

export const sshToUnlistedHost = defineRule({
  id: 'net.ssh-to-unlisted-host',
  category: 'tunnel',
  severity: 'high',
  attack: ['T1572', 'T1021.004'],
  reason: 'SSH to a host the policy does not list',
  kinds: ['net.flow'],
  check(event) {
    if (event.decision !== 'deny') return null;
    const isSsh =
      event.protocol.toLowerCase() === 'ssh' ||
      detailStrings(event).some((s) => s === 'ssh' || s.startsWith('ssh-'));
    if (!isSsh) return null;
    return {
      detail: `SSH to ${destination(event)} ${decisionText(event)}`,
      evidence: {
        destination: destination(event),
        port: event.port,
        decision: event.decision,
        bytesOut: event.bytesOut,
        flowId: event.flowId,
      },
      pid: event.pid,
      exe: event.exe,
      key: destination(event),
    };
  },
});
