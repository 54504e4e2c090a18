/**
 * file.resolver-file-write: /etc/resolv.conf, /etc/hosts or nsswitch.conf opened for writing (or a
 * write attempted): pointing names elsewhere than cordon's DNS. ATT&CK T1562.004, T1565.
 * Severity high. Reading them, as every lookup does, is not flagged.
 */
import { defineRule } from '../../rule.js';
import { writtenPath } from '../../lib/writes.js';

const RESOLVER_FILES =
  /^\/etc\/(resolv\.conf|hosts|nsswitch\.conf|gai\.conf|host\.conf|nftables\.conf)$/;

export const resolverFileWrite = defineRule({
  id: 'file.resolver-file-write',
  category: 'defense-evasion',
  severity: 'high',
  attack: ['T1562.004', 'T1565'],
  reason: 'Resolver configuration was written from inside the sandbox',
  kinds: ['file.access'],
  check(event) {
    const path = writtenPath(event);
    if (!path || !RESOLVER_FILES.test(path)) return null;
    return {
      detail: `${event.op} ${path}${event.result === 0 ? '' : ' (failed)'}`,
      evidence: { path, op: event.op, result: event.result },
      pid: event.pid,
      exe: event.exe,
      key: path,
    };
  },
});
