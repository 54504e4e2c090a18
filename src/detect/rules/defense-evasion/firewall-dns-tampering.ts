/**
 * proc.firewall-dns-tampering: firewall, routing or resolver changes from inside the sandbox
 * (iptables/nft/ufw rules, `ip route add`, writing /etc/resolv.conf or /etc/hosts) to get around
 * the network cordon. ATT&CK T1562.004. Severity high; listing rules (`iptables -L`) is low.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf } from '../../lib/command.js';
import { writesOf } from '../../lib/writes.js';

const FIREWALLS =
  /^(iptables|ip6tables|iptables-(legacy|nft)|ip6tables-(legacy|nft)|iptables-restore|ip6tables-restore|nft|ufw|firewall-cmd|ebtables|arptables)$/;
const LISTING = /^(-L|-S|--list|--list-rules|-nL|-nvL|-vnL|-Ln|list|status|--state|--list-all|-c)$/;
const IP_CHANGE = /^(add|del|delete|change|replace|flush|set|append)$/;
const RESOLVER_FILES =
  /^\/etc\/(resolv\.conf|hosts|nsswitch\.conf|gai\.conf|host\.conf|nftables\.conf)$/;

export const firewallDnsTampering = defineRule({
  id: 'proc.firewall-dns-tampering',
  category: 'defense-evasion',
  severity: 'high',
  attack: ['T1562.004'],
  reason: 'Firewall, routing or resolver settings were changed from inside the sandbox',
  kinds: ['process.exec'],
  check(event) {
    for (const cmd of commandsOf(event.argv)) {
      if (FIREWALLS.test(cmd.name)) {
        const listing = cmd.args.length === 0 || cmd.args.some((a) => LISTING.test(a));
        return execHit(
          event,
          `${cmd.name} ${cmd.args.join(' ')}`.slice(0, 120),
          { tool: cmd.name },
          listing ? { severity: 'low' } : {},
        );
      }
      if (cmd.name === 'ip') {
        const objects = cmd.args.filter((a) => !a.startsWith('-'));
        if (
          /^(r|ro|route|rule|l|link|a|addr|address|neigh|tunnel|xfrm)$/.test(objects[0] ?? '') &&
          IP_CHANGE.test(objects[1] ?? '')
        ) {
          return execHit(event, `ip ${objects.slice(0, 3).join(' ')}`, { tool: 'ip' });
        }
      }
    }
    const file = writesOf(event.argv).find((p) => RESOLVER_FILES.test(p));
    return file ? execHit(event, `writes ${file}`, { file }) : null;
  },
});
