/**
 * persist.shell-rc: a shell start-up file is changed (~/.bashrc, ~/.profile, ~/.zshrc,
 * /etc/profile.d/*, /etc/bash.bashrc), so code runs in every future shell. ATT&CK T1546.004.
 * Severity medium (tools append PATH lines); high when what is added fetches, connects or decodes.
 */
import { defineRule } from '../../rule.js';
import { commandText } from '../../lib/command.js';
import { writeHit } from '../../lib/writes.js';

const RC_FILE =
  /(^|\/)\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zshenv|zprofile|zlogin|kshrc|cshrc|tcshrc|inputrc)$|^\/etc\/(profile|bash\.bashrc|zsh\/\w+|environment)$|^\/etc\/profile\.d\//;
const NASTY =
  /\/dev\/tcp|\b(nc|ncat|curl|wget|socat|base64|python3?|perl)\b|LD_PRELOAD|PROMPT_COMMAND|\btrap\b/;

export const shellRc = defineRule({
  id: 'persist.shell-rc',
  category: 'persistence',
  severity: 'medium',
  attack: ['T1546.004'],
  reason: 'A shell start-up file was changed',
  kinds: ['process.exec', 'file.access'],
  check(event) {
    const hit = writeHit(event, (p) => RC_FILE.test(p));
    if (hit && event.kind === 'process.exec' && NASTY.test(commandText(event.argv)))
      hit.severity = 'high';
    return hit;
  },
});
