/**
 * proc.reverse-shell-interpreter-oneliner: a python/perl/ruby/php/node/lua/awk one-liner that opens
 * a socket and hands it to a shell (dup2, pty.spawn, exec /bin/sh, child_process, /inet/tcp with
 * |& getline). ATT&CK T1059.006, T1059.004. Severity critical. A socket alone, or a subprocess
 * alone, is not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, isInterpreter } from '../../lib/command.js';

const CODE_FLAGS = /^-(c|e|E|r|x|-eval|-exec)$/;
const SOCKET =
  /socket|fsockopen|TCPSocket|IO::Socket|net\.(Socket|connect|createConnection)|\/inet\/tcp|\/dev\/tcp|remote\(|websocket/i;
const SHELL =
  /dup2|pty\.spawn|\/bin\/(ba|da|z)?sh|\b(ba)?sh\s+-i|child_process|spawn\(|subprocess|os\.system|popen|proc_open|shell_exec|passthru|system\(|exec\s*\(|\bexec\s+["']|\|&\s*getline|IO\.popen/;

/** The code an interpreter is given on its command line, if any. */
function inlineCode(args: readonly string[]): string | undefined {
  const parts: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (CODE_FLAGS.test(a) && args[i + 1] !== undefined) parts.push(args[i + 1]!);
    else if (/^-[a-zA-Z]*[ce]$/.test(a) && args[i + 1] !== undefined) parts.push(args[i + 1]!);
  }
  // awk takes its program as the first non-option word.
  if (parts.length === 0) {
    const program = args.find((a) => !a.startsWith('-'));
    if (program && /BEGIN|\/inet\//.test(program)) parts.push(program);
  }
  return parts.length > 0 ? parts.join('\n') : undefined;
}

export const interpreterOneliner = defineRule({
  id: 'proc.reverse-shell-interpreter-oneliner',
  category: 'reverse-shell',
  severity: 'critical',
  attack: ['T1059.006', 'T1059.004'],
  reason: 'An interpreter one-liner connects a socket to a shell',
  kinds: ['process.exec'],
  check(event) {
    for (const cmd of commandsOf(event.argv)) {
      if (!isInterpreter(cmd.name)) continue;
      const code = inlineCode(cmd.args);
      if (code === undefined || !SOCKET.test(code) || !SHELL.test(code)) continue;
      const shellHow = SHELL.exec(code)?.[0] ?? '';
      return execHit(event, `${cmd.name} one-liner: socket + ${shellHow}`, {
        interpreter: cmd.name,
        code: code.slice(0, 300),
      });
    }
    return null;
  },
});
