/**
 * proc.reverse-shell-stdio-socket: a shell or interpreter reading commands starts with a socket on
 * its stdin or stdout (the monitor reads fds 0-2): a reverse or bind shell whatever its spelling,
 * dup2 or not. ATT&CK T1059.004, T1095. Severity critical. cordon hands commands pipes, never
 * sockets, and scripts (`sh -c ..`, `python x.py`) are not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import { isInterpreter, isShell, progName, shellScript, unwrap } from '../../lib/command.js';

export const reverseShellStdioSocket = defineRule({
  id: 'proc.reverse-shell-stdio-socket',
  category: 'reverse-shell',
  severity: 'critical',
  attack: ['T1059.004', 'T1095'],
  reason: 'A command shell has a network socket as its input or output',
  kinds: ['process.exec'],
  check(event) {
    const stdio = event.stdio;
    if (!stdio || (stdio.stdin !== 'socket' && stdio.stdout !== 'socket')) return null;
    const cmd = unwrap(event.argv);
    const name =
      isShell(progName(event.exe)) || isInterpreter(progName(event.exe))
        ? progName(event.exe)
        : (cmd?.name ?? '');
    if (!isShell(name) && !isInterpreter(name)) return null;
    const args = cmd?.args ?? [];
    const reads = isShell(name)
      ? shellScript(name, args) === undefined && !args.some((a) => !a.startsWith('-'))
      : args.every((a) => a.startsWith('-') && !/^-[ce]$/.test(a));
    if (!reads) return null;
    const on = [stdio.stdin === 'socket' ? 'stdin' : '', stdio.stdout === 'socket' ? 'stdout' : '']
      .filter(Boolean)
      .join('+');
    return execHit(event, `${name} with a socket on ${on}`, { stdio });
  },
});
