import { describe } from 'vitest';
import { flow, ruleTable } from '../../test-kit.js';
import { stratumFlow } from './stratum-flow.js';

describe('net.stratum-flow', () => {
  ruleTable(stratumFlow, {
    fires: [
      {
        name: 'stratum on 3333',
        event: flow({ host: 'pool.rogue.test', port: 3333, protocol: 'stratum' }),
      },
      {
        name: 'stratum on 443',
        event: flow({ host: 'cdn.rogue.test', port: 443, protocol: 'stratum' }),
      },
      { name: 'stratum v2 opener', event: flow({ port: 34255, protocol: 'stratum2' }) },
      {
        name: 'stratum inside CONNECT',
        event: flow({
          port: 8080,
          protocol: 'http-connect',
          details: { inner: 'stratum', method: 'mining.subscribe' },
        }),
      },
      {
        name: 'allowed yet stratum',
        event: flow({ host: 'registry.test', port: 443, protocol: 'stratum', decision: 'allow' }),
      },
    ],
    passes: [
      {
        name: 'TLS to a registry',
        event: flow({ host: 'registry.test', port: 443, protocol: 'tls', decision: 'allow' }),
      },
      {
        name: 'HTTP on 3333',
        event: flow({ host: 'dev.test', port: 3333, protocol: 'http', details: { method: 'GET' } }),
      },
      { name: 'unknown bytes', event: flow({ port: 4444, protocol: 'unknown' }) },
    ],
  });
});
