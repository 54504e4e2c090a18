/**
 * proc.ssh-tunnel-flags: ssh (or autossh) asked to forward ports or open a tunnel: -R, -L, -D, -w,
 * -W, -J, or -o ProxyCommand/ProxyJump/Tunnel/*Forward. ROME opened exactly such a reverse tunnel.
 * ATT&CK T1572, T1021.004. Severity high. Plain `ssh host cmd` and git over SSH are not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf } from '../../lib/command.js';

const SSH_NAMES = new Set(['ssh', 'autossh', 'dbclient']);
const TUNNEL_FLAGS = new Set(['R', 'L', 'D', 'w', 'W', 'J']);
/** ssh options that take a value (rest of the word, or the next word). */
const VALUE_FLAGS = new Set([...'BbcEeFIiJLlmOoPpQRSWwD']);
const TUNNEL_OPTIONS =
  /^(proxycommand|proxyjump|tunnel|tunneldevice|remoteforward|localforward|dynamicforward|permitlocalcommand)\s*[= ]/i;

/** The first tunnelling option in ssh arguments (`-R`, `-o ProxyCommand=...`). */
export function sshTunnelOption(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-' || a === '--') {
      if (a === '--') return undefined;
      continue;
    }
    for (let j = 1; j < a.length; j += 1) {
      const flag = a[j]!;
      if (flag === 'o') {
        const value = a.length > j + 1 ? a.slice(j + 1) : (args[i + 1] ?? '');
        if (TUNNEL_OPTIONS.test(`${value} `)) return `-o ${value}`;
      } else if (TUNNEL_FLAGS.has(flag)) {
        return `-${flag}`;
      }
      if (VALUE_FLAGS.has(flag)) {
        if (j === a.length - 1) i += 1;
        break;
      }
    }
  }
  return undefined;
}

export const sshTunnelFlags = defineRule({
  id: 'proc.ssh-tunnel-flags',
  category: 'tunnel',
  severity: 'high',
  attack: ['T1572', 'T1021.004'],
  reason: 'ssh was asked to forward ports or tunnel traffic',
  kinds: ['process.exec'],
  check(event) {
    for (const cmd of commandsOf(event.argv)) {
      if (!SSH_NAMES.has(cmd.name)) continue;
      const option = sshTunnelOption(cmd.args);
      if (option)
        return execHit(event, `${cmd.name} ${option.slice(0, 80)}`, {
          option: option.slice(0, 200),
        });
    }
    return null;
  },
});
