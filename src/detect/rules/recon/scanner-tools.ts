/**
 * proc.scanner-tools: a network scanner runs (nmap, masscan, zmap, rustscan, naabu, hping3,
 * arp-scan, fping -g), `nc -z` over a port range, or a shell loop over /dev/tcp ports.
 * ATT&CK T1046, T1018. Severity high. `nc -z host 8080` (waiting for one port) is not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, commandText, execNames } from '../../lib/command.js';

const SCANNERS =
  /^(nmap|masscan|zmap|rustscan|naabu|unicornscan|hping3?|arp-scan|netdiscover|nbtscan|zgrab2?|nuclei|sx|fscan|ipscan|angryip\w*)$/;
const DEV_TCP_LOOP = /\b(for|while)\b[\s\S]*\/dev\/tcp\/[^/\s]+\/\$\{?\w+/;

export const scannerTools = defineRule({
  id: 'proc.scanner-tools',
  category: 'recon',
  severity: 'high',
  attack: ['T1046', 'T1018'],
  reason: 'A network scan was started',
  kinds: ['process.exec'],
  check(event) {
    const commands = commandsOf(event.argv);
    const scanner = [...execNames(event), ...commands.map((c) => c.name)].find((n) =>
      SCANNERS.test(n),
    );
    if (scanner) return execHit(event, `scanner ${scanner}`, { tool: scanner });
    for (const cmd of commands) {
      if (
        /^(nc|ncat|netcat|nc\.openbsd|nc\.traditional)$/.test(cmd.name) &&
        cmd.args.some((a) => /^-[a-zA-Z]*z/.test(a))
      ) {
        const range =
          cmd.args.find((a) => /^\d+-\d+$/.test(a)) ??
          (cmd.args.filter((a) => /^\d+$/.test(a)).length > 2 ? 'several ports' : undefined);
        if (range) return execHit(event, `nc -z over ${range}`, { tool: 'nc', ports: range });
      }
      if (cmd.name === 'fping' && cmd.args.some((a) => /^-[a-zA-Z]*g/.test(a)))
        return execHit(event, 'fping sweep', { tool: 'fping' });
    }
    return DEV_TCP_LOOP.test(commandText(event.argv))
      ? execHit(event, 'shell loop probing /dev/tcp ports', { tool: 'bash' })
      : null;
  },
});
