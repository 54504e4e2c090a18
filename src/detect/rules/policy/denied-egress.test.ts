import { describe } from 'vitest';
import { dns, drop, flow, ruleTable } from '../../test-kit.js';
import { deniedEgress } from './denied-egress.js';

describe('net.denied-egress', () => {
  ruleTable(deniedEgress, {
    fires: [
      { name: 'denied TLS flow', event: flow({ host: 'pypi.rogue.test', port: 443 }) },
      { name: 'dropped UDP', event: drop({ protocol: 'udp', address: '198.18.0.9', port: 123 }) },
      { name: 'denied DNS name', event: dns('unlisted.test') },
      { name: 'outside resolver', event: dns('registry.test', { resolver: '198.18.0.53' }) },
    ],
    passes: [
      { name: 'allowed flow', event: flow({ host: 'registry.test', decision: 'allow' }) },
      { name: 'close phase of a denied flow', event: flow({ phase: 'close' }) },
      { name: 'allowed DNS', event: dns('registry.test', { decision: 'allow' }) },
    ],
  });
});
