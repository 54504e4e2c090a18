/**
 * proc.reverse-shell-socat-exec: socat joining a network address to EXEC: or SYSTEM: (reverse or
 * bind shell, often with pty). ATT&CK T1059.004, T1095. Severity critical.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf } from '../../lib/command.js';

const EXEC_ADDRESS = /^(exec|system):/i;
const NET_ADDRESS = /^(tcp|udp|openssl|ssl|sctp|socks|proxy|vsock)[\w-]*[:,]/i;

export const socatExec = defineRule({
  id: 'proc.reverse-shell-socat-exec',
  category: 'reverse-shell',
  severity: 'critical',
  attack: ['T1059.004', 'T1095'],
  reason: 'socat runs a program on a network socket',
  kinds: ['process.exec'],
  check(event) {
    for (const cmd of commandsOf(event.argv)) {
      if (cmd.name !== 'socat') continue;
      const program = cmd.args.find((a) => EXEC_ADDRESS.test(a));
      const socket = cmd.args.find((a) => NET_ADDRESS.test(a));
      if (program && socket) {
        return execHit(event, `socat ${program.slice(0, 60)} on ${socket.slice(0, 60)}`, {
          program,
          socket,
        });
      }
    }
    return null;
  },
});
