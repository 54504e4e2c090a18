import { describe } from 'vitest';
import { T0, cpuRun, flow, sample, ruleTable } from '../../test-kit.js';
import { cpuWithDeniedPool } from './cpu-with-denied-pool.js';

const poolFlow = () => flow({ host: 'pool.rogue.test', port: 3333, protocol: 'unknown', ts: T0 });
const quietFlow = () => flow({ host: 'registry.test', port: 443, protocol: 'tls', ts: T0 });

describe('res.cpu-with-denied-pool', () => {
  ruleTable(cpuWithDeniedPool, {
    fires: [
      {
        name: 'throttled miner at 30% with its pool denied, within 5 s',
        given: [poolFlow(), ...cpuRun(0.3, false, T0 + 500, 1_500)],
        event: sample(0.3, false, T0 + 2_500),
      },
      {
        name: 'denied flow to a stratum port on an odd name',
        given: [
          flow({ host: 'update.rogue.test', port: 14444, ts: T0 }),
          ...cpuRun(0.9, false, T0, 2_000),
        ],
        event: sample(0.9, false, T0 + 2_500),
      },
      {
        name: 'CPU first, then the denied pool flow',
        given: cpuRun(0.5, false, T0, 3_000),
        event: flow({ host: 'xmr.rogue.test', port: 443, ts: T0 + 3_100 }),
      },
    ],
    passes: [
      {
        name: 'CPU-heavy job with no network',
        given: cpuRun(1.0, false, T0, 4_000),
        event: sample(1.0, false, T0 + 4_500),
      },
      {
        name: 'CPU with an ordinary denied flow',
        given: [quietFlow(), ...cpuRun(1.0, false, T0, 3_000)],
        event: sample(1.0, false, T0 + 3_500),
      },
      {
        name: 'pool denied but idle CPU',
        given: [poolFlow(), ...cpuRun(0.02, false, T0, 3_000)],
        event: sample(0.02, false, T0 + 3_500),
      },
      {
        name: 'pool denied long ago',
        given: [poolFlow(), ...cpuRun(1.0, false, T0 + 70_000, 3_000)],
        event: sample(1.0, false, T0 + 73_500),
      },
    ],
  });
});
