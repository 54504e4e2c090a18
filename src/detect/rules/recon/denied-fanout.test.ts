import { describe } from 'vitest';
import { T0, drop, flow, ruleTable } from '../../test-kit.js';
import { deniedFanout } from './denied-fanout.js';

const hosts = (n: number, ts = T0) =>
  Array.from({ length: n }, (_, i) =>
    flow({ address: `198.18.1.${i + 1}`, host: undefined, port: 22, ts: ts + i * 100 }),
  );
const ports = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    flow({ address: '198.18.1.1', port: 20 + i, ts: T0 + i * 100 }),
  );

describe('net.denied-fanout', () => {
  ruleTable(deniedFanout, {
    fires: [
      {
        name: 'sweep of 8 hosts',
        given: hosts(7),
        event: flow({ address: '198.18.1.99', port: 22, ts: T0 + 900 }),
      },
      {
        name: 'scan of 8 ports',
        given: ports(7),
        event: flow({ address: '198.18.1.1', port: 9999, ts: T0 + 900 }),
      },
      {
        name: 'UDP probes dropped',
        given: Array.from({ length: 7 }, (_, i) =>
          drop({ address: '198.18.2.1', port: 100 + i, ts: T0 + i }),
        ),
        event: drop({ address: '198.18.2.1', port: 161, ts: T0 + 10 }),
      },
    ],
    passes: [
      {
        name: 'retries to one host',
        given: Array.from({ length: 20 }, (_, i) => flow({ port: 443, ts: T0 + i * 10 })),
        event: flow({ port: 443, ts: T0 + 300 }),
      },
      {
        name: '7 hosts only',
        given: hosts(6),
        event: flow({ address: '198.18.1.77', port: 22, ts: T0 + 700 }),
      },
      {
        name: 'spread over more than 10 s',
        given: hosts(7, T0),
        event: flow({ address: '198.18.9.9', port: 22, ts: T0 + 20_000 }),
      },
      {
        name: 'allowed flows to many hosts',
        given: Array.from({ length: 10 }, (_, i) =>
          flow({ address: `198.18.3.${i}`, decision: 'allow', ts: T0 + i }),
        ),
        event: flow({ address: '198.18.3.99', decision: 'allow', ts: T0 + 20 }),
      },
    ],
  });
});
