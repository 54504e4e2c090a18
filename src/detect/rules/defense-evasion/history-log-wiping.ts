/**
 * proc.history-log-wiping: shell history or logs are erased or switched off (`history -c`,
 * `unset HISTFILE`, `HISTSIZE=0`, `rm ~/.bash_history`, `truncate -s0 /var/log/..`, `journalctl
 * --vacuum`). ATT&CK T1070.003, T1070.002. Severity medium: covering tracks, not harm by itself.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, commandText } from '../../lib/command.js';
import { writesOf } from '../../lib/writes.js';

const HISTORY_FILE =
  /(^|\/)\.(bash|zsh|sh|python|mysql|psql|node_repl|lesshst|wget-hsts)_?history$|(^|\/)\.lesshst$/;
const LOGS = /^\/var\/log(\/|$)|^\/var\/log\/(wtmp|btmp|lastlog|auth\.log|syslog)/;
const TEXT = [
  /\bhistory\s+-[a-z]*c/,
  /\bhistory\s+-w\s+\/dev\/null/,
  /\bunset\s+(-v\s+)?HISTFILE\b/,
  /\bexport\s+HISTFILE=\/dev\/null|\bHISTFILE=\/dev\/null/,
  /\b(export\s+)?HIST(FILE)?SIZE=0\b/,
  /\bset\s+\+o\s+history\b/,
  /\bjournalctl\b[^;|&]*--(vacuum-\w+|rotate)/,
];
const ERASERS = new Set(['rm', 'shred', 'truncate', 'unlink', 'srm', 'wipe']);

export const historyLogWiping = defineRule({
  id: 'proc.history-log-wiping',
  category: 'defense-evasion',
  severity: 'medium',
  attack: ['T1070.003', 'T1070.002'],
  reason: 'Shell history or logs were erased or turned off',
  kinds: ['process.exec'],
  check(event) {
    const text = commandText(event.argv);
    const pattern = TEXT.find((re) => re.test(text));
    if (pattern)
      return execHit(event, `history or logs disabled: ${pattern.exec(text)![0]}`, {
        how: pattern.exec(text)![0],
      });
    for (const cmd of commandsOf(event.argv)) {
      if (!ERASERS.has(cmd.name)) continue;
      const target = cmd.args.find((a) => HISTORY_FILE.test(a) || LOGS.test(a));
      if (target) return execHit(event, `${cmd.name} ${target}`, { target });
    }
    const truncated = writesOf(event.argv).find((p) => HISTORY_FILE.test(p) || LOGS.test(p));
    return truncated ? execHit(event, `overwrote ${truncated}`, { target: truncated }) : null;
  },
});
