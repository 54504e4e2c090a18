import { describe } from 'vitest';
import { T0, cpuRun, sample, ruleTable } from '../../test-kit.js';
import { cpuAfterCommand } from './cpu-after-command.js';

describe('res.cpu-after-command', () => {
  ruleTable(cpuAfterCommand, {
    fires: [
      {
        name: 'a 30% miner left running after the command returned',
        given: [...cpuRun(1.0, false, T0, 2_000), ...cpuRun(0.3, true, T0 + 2_500, 4_000)],
        event: sample(0.3, true, T0 + 7_000),
      },
      {
        name: 'full core in the background',
        given: cpuRun(1.0, true, T0, 4_500),
        event: sample(1.0, true, T0 + 5_000),
      },
    ],
    passes: [
      {
        name: 'CPU-heavy build while the command runs',
        given: cpuRun(2.0, false, T0, 10_000),
        event: sample(2.0, false, T0 + 10_500),
      },
      {
        name: 'the tail of a build just after return',
        given: [...cpuRun(2.0, false, T0, 5_000), sample(0.5, true, T0 + 5_500)],
        event: sample(0.0, true, T0 + 6_000),
      },
      {
        name: 'idle background server',
        given: cpuRun(0.01, true, T0, 5_000),
        event: sample(0.01, true, T0 + 5_500),
      },
      {
        name: 'too short to call sustained',
        given: cpuRun(1.0, true, T0, 1_000),
        event: sample(1.0, true, T0 + 1_500),
      },
    ],
  });
});
