/**
 * proc.reverse-shell-nc-exec: netcat told to run a program on its socket (`nc -e /bin/sh`,
 * busybox `nc -e`, `ncat --sh-exec`, `nc -c`), the classic reverse or bind shell. ATT&CK T1059.004,
 * T1095. Severity critical. `-c`/`-e` running another netcat is a relay, left to proc.socat-nc-relay.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf } from '../../lib/command.js';

const NC = /^(nc|ncat|netcat|nc\.traditional|nc\.openbsd|pwncat)$/;

/** The program netcat is told to run, if any. */
function execTarget(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    const long = /^--(exec|sh-exec|lua-exec)(=(.*))?$/.exec(a);
    if (long) return long[3] ?? args[i + 1] ?? '';
    const short = /^-[a-zA-Z]*?([ec])(.*)$/.exec(a);
    if (short && !a.startsWith('--')) return short[2] || (args[i + 1] ?? '');
  }
  return undefined;
}

export const ncExec = defineRule({
  id: 'proc.reverse-shell-nc-exec',
  category: 'reverse-shell',
  severity: 'critical',
  attack: ['T1059.004', 'T1095'],
  reason: 'netcat was told to run a program on its socket',
  kinds: ['process.exec'],
  check(event) {
    for (const cmd of commandsOf(event.argv)) {
      if (!NC.test(cmd.name)) continue;
      const target = execTarget(cmd.args);
      if (target === undefined || /^\s*(\S*\/)?(nc|ncat|netcat)\b/.test(target)) continue;
      return execHit(event, `${cmd.name} running ${target || 'a program'} on its socket`, {
        program: target,
      });
    }
    return null;
  },
});
