/**
 * proc.namespace-tools: tools that enter or make namespaces or mounts (nsenter, unshare, mount with
 * arguments, pivot_root, chroot, capsh, docker/ctr/crictl run): the usual escape kit.
 * ATT&CK T1611. Severity high. A bare `mount` (listing) is not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf } from '../../lib/command.js';

const ALWAYS = new Set(['nsenter', 'unshare', 'pivot_root', 'capsh', 'switch_root', 'setpriv']);
const RUNTIMES = new Set(['docker', 'podman', 'ctr', 'crictl', 'nerdctl', 'runc', 'kubectl']);

export const namespaceTools = defineRule({
  id: 'proc.namespace-tools',
  category: 'escape',
  severity: 'high',
  attack: ['T1611'],
  reason: 'A namespace, mount or container tool was used inside the sandbox',
  kinds: ['process.exec'],
  check(event) {
    for (const cmd of commandsOf(event.argv)) {
      if (ALWAYS.has(cmd.name) || (cmd.name === 'chroot' && cmd.args.length > 0)) {
        return execHit(event, `${cmd.name} ${cmd.args.join(' ')}`.trim().slice(0, 120), {
          tool: cmd.name,
        });
      }
      if (
        cmd.name === 'mount' &&
        cmd.args.some((a) => !a.startsWith('-') || /^-(o|t|-bind|-rbind|B)/.test(a))
      ) {
        return execHit(event, `mount ${cmd.args.join(' ')}`.slice(0, 120), { tool: 'mount' });
      }
      if (
        RUNTIMES.has(cmd.name) &&
        cmd.args.some((a) => /^(run|exec|create|debug|attach)$/.test(a))
      ) {
        return execHit(event, `${cmd.name} ${cmd.args.slice(0, 3).join(' ')}`, { tool: cmd.name });
      }
    }
    return null;
  },
});
