/**
 * proc.socat-nc-relay: socat joining two network endpoints, or a pipeline of two netcats, relays
 * traffic past the cordon's view of who talks to whom. ATT&CK T1090, T1572. Severity high; low when
 * every endpoint is loopback (a local port forward while developing).
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, pipelinesOf } from '../../lib/command.js';

const NET_ADDRESS =
  /^(tcp[46]?|tcp[46]?-listen|tcp[46]?-connect|udp[46]?|udp[46]?-listen|openssl|openssl-listen|ssl|sctp\w*|socks4a?|socks5|proxy|proxy-connect)[:,]/i;
const NC = /^(nc|ncat|netcat|nc\.traditional|nc\.openbsd|pwncat)$/;
const LOOPBACK = /(^|[:,])(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)([:,]|$)/i;

export const socatNcRelay = defineRule({
  id: 'proc.socat-nc-relay',
  category: 'tunnel',
  severity: 'high',
  attack: ['T1090', 'T1572'],
  reason: 'A relay joins two network endpoints (socat or netcat pipeline)',
  kinds: ['process.exec'],
  check(event) {
    const commands = commandsOf(event.argv);
    for (const cmd of commands) {
      if (cmd.name !== 'socat') continue;
      const addrs = cmd.args.filter((a) => NET_ADDRESS.test(a));
      if (addrs.length < 2) continue;
      const connects = addrs.filter((a) => !/listen/i.test(a));
      const local = connects.every((a) => LOOPBACK.test(a));
      return execHit(
        event,
        `socat relay ${addrs.join(' ')}`.slice(0, 160),
        { endpoints: addrs },
        local ? { severity: 'low' } : {},
      );
    }
    for (const pipe of pipelinesOf(commands)) {
      const ncs = pipe.filter((c) => NC.test(c.name));
      if (ncs.length >= 2) {
        return execHit(event, `netcat relay (${ncs.length} netcats in one pipeline)`, {
          netcats: ncs.length,
        });
      }
    }
    return null;
  },
});
