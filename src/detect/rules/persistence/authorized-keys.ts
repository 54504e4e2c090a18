/**
 * persist.authorized-keys: an SSH authorized_keys file is written (or `ssh-copy-id` run), letting
 * someone log in later. ATT&CK T1098.004. Severity high. Generating a deploy key under ~/.ssh
 * (ssh-keygen writing id_*) is not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf } from '../../lib/command.js';
import { writeHit } from '../../lib/writes.js';

const AUTHORIZED_KEYS = /(^|\/)authorized_keys2?$/;

export const authorizedKeys = defineRule({
  id: 'persist.authorized-keys',
  category: 'persistence',
  severity: 'high',
  attack: ['T1098.004'],
  reason: 'An SSH key was authorized for future logins',
  kinds: ['process.exec', 'file.access'],
  check(event) {
    if (
      event.kind === 'process.exec' &&
      commandsOf(event.argv).some((c) => c.name === 'ssh-copy-id')
    ) {
      return execHit(event, 'ssh-copy-id', { tool: 'ssh-copy-id' });
    }
    return writeHit(event, (p) => AUTHORIZED_KEYS.test(p));
  },
});
