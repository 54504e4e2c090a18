/**
 * file.container-socket: a container runtime socket (docker, containerd, podman, CRI-O, kubelet) is
 * opened or named on a command line: control of the runtime means control of the host.
 * ATT&CK T1611, T1610. Severity high.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandText } from '../../lib/command.js';

const SOCKET =
  /(^|[\s=:'"/])(\/var)?\/run\/(docker\.sock|docker\/|containerd\/|podman\/|crio\/|k3s\/containerd)|\/var\/lib\/kubelet\/|\/run\/user\/\d+\/(docker|podman)/;

export const containerSocket = defineRule({
  id: 'file.container-socket',
  category: 'escape',
  severity: 'high',
  attack: ['T1611', 'T1610'],
  reason: 'A container runtime socket was reached for',
  kinds: ['file.access', 'process.exec'],
  check(event) {
    if (event.kind === 'process.exec') {
      const m = SOCKET.exec(commandText(event.argv));
      return m ? execHit(event, `names ${m[0].trim()}`, { path: m[0].trim() }) : null;
    }
    if (!SOCKET.test(event.path)) return null;
    return {
      detail: `opened ${event.path}${event.result === 0 ? '' : ' (failed)'}`,
      evidence: { path: event.path, result: event.result },
      pid: event.pid,
      exe: event.exe,
      key: event.path,
    };
  },
});
