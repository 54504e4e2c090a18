/**
 * net.flow-from-shell: a shell process itself opened a denied connection: bash's /dev/tcp used as
 * a socket, the heart of the `bash -i >& /dev/tcp/...` reverse shell, whatever its spelling.
 * ATT&CK T1059.004. Severity high. Allowed flows (a health check to a listed host) are not flagged.
 */
import { defineRule } from '../../rule.js';
import { isShell, progName } from '../../lib/command.js';
import { decisionText, destination } from '../../lib/net.js';

export const flowFromShell = defineRule({
  id: 'net.flow-from-shell',
  category: 'reverse-shell',
  severity: 'high',
  attack: ['T1059.004'],
  reason: 'A shell opened a network connection itself',
  kinds: ['net.flow'],
  check(event, state) {
    if (event.decision !== 'deny' || event.pid === undefined) return null;
    const exe = state.process(event.pid)?.exe ?? event.exe;
    if (!exe || !isShell(progName(exe))) return null;
    return {
      detail: `${progName(exe)} connected to ${destination(event)} ${decisionText(event)}`,
      evidence: { destination: destination(event), flowId: event.flowId, decision: event.decision },
      pid: event.pid,
      exe,
      key: destination(event),
    };
  },
});
