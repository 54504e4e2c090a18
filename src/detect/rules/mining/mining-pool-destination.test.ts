import { describe } from 'vitest';
import { dns, flow, ruleTable } from '../../test-kit.js';
import { poolDestination } from './mining-pool-destination.js';

describe('net.mining-pool-destination', () => {
  ruleTable(poolDestination, {
    fires: [
      { name: 'DNS for a known pool', event: dns('pool.supportxmr.com') },
      { name: 'flow to nicehash by SNI', event: flow({ sni: 'eu.nicehash.com', port: 443 }) },
      { name: 'flow to a 2miners host', event: flow({ host: 'eth.2miners.com', port: 2020 }) },
    ],
    passes: [
      { name: 'DNS for a registry', event: dns('registry.test') },
      { name: 'look-alike domain', event: dns('notnicehash.com.example.test') },
      {
        name: 'flow to github-like host',
        event: flow({ host: 'git.registry.test', port: 22, protocol: 'ssh' }),
      },
    ],
  });
});
