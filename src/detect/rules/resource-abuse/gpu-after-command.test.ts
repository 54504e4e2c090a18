import { describe } from 'vitest';
import { T0, cpuRun, sample, ruleTable } from '../../test-kit.js';
import { gpuAfterCommand } from './gpu-after-command.js';

const GIB = 1024 ** 3;
const gpu = { devices: { gpu: true } };

describe('res.gpu-after-command', () => {
  ruleTable(gpuAfterCommand, {
    fires: [
      {
        name: 'a GPU job left running after the command returned, at low CPU',
        given: [
          ...cpuRun(1.0, false, T0, 2_000, 2 * GIB),
          ...cpuRun(0.05, true, T0 + 2_500, 4_000, GIB),
        ],
        event: sample(0.05, true, T0 + 7_000, GIB),
        policy: gpu,
      },
    ],
    passes: [
      {
        name: 'training that holds the GPU while the command runs',
        given: cpuRun(1.0, false, T0, 10_000, 40 * GIB),
        event: sample(1.0, false, T0 + 10_500, 40 * GIB),
        policy: gpu,
      },
      {
        name: 'the GPU released when the command returned',
        given: [...cpuRun(1.0, false, T0, 3_000, GIB), ...cpuRun(0.01, true, T0 + 3_500, 4_500, 0)],
        event: sample(0.01, true, T0 + 8_500, 0),
        policy: gpu,
      },
      {
        name: 'released within the window',
        given: cpuRun(0.2, true, T0, 4_500, GIB),
        event: sample(0.2, true, T0 + 5_000, 0),
        policy: gpu,
      },
      {
        name: 'no GPU figures (not accounted on this host)',
        given: cpuRun(0.2, true, T0, 4_500),
        event: sample(0.2, true, T0 + 5_000),
        policy: gpu,
      },
      {
        name: 'too short to call sustained',
        given: cpuRun(0.2, true, T0, 1_000, GIB),
        event: sample(0.2, true, T0 + 1_500, GIB),
        policy: gpu,
      },
    ],
  });
});
