import { describe, expect, test } from 'vitest';
import { exec, sh, ruleTable, runRule } from '../../test-kit.js';
import { firewallDnsTampering } from './firewall-dns-tampering.js';

describe('proc.firewall-dns-tampering', () => {
  ruleTable(firewallDnsTampering, {
    fires: [
      { name: 'iptables flush', event: exec(['iptables', '-F']) },
      {
        name: 'nft add rule',
        event: exec(['nft', 'add', 'rule', 'inet', 'filter', 'output', 'accept']),
      },
      { name: 'ip route add', event: exec(['ip', 'route', 'add', 'default', 'via', '198.18.0.1']) },
      {
        name: 'resolv.conf overwrite',
        event: sh("echo 'nameserver 198.18.0.53' > /etc/resolv.conf"),
      },
      {
        name: 'hosts append via tee',
        event: sh("echo '198.18.0.9 registry.test' | tee -a /etc/hosts"),
      },
    ],
    passes: [
      { name: 'ip addr show', event: exec(['ip', 'addr', 'show']) },
      { name: 'ip route (list)', event: exec(['ip', 'route']) },
      { name: 'reading resolv.conf', event: exec(['cat', '/etc/resolv.conf']) },
    ],
  });

  test('listing firewall rules is low', () => {
    expect(runRule(firewallDnsTampering, { event: exec(['iptables', '-L', '-n']) })?.severity).toBe(
      'low',
    );
  });
});
