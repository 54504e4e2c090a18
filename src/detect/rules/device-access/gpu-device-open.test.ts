import { describe } from 'vitest';
import { file, ruleTable } from '../../test-kit.js';
import { gpuDeviceOpen } from './gpu-device-open.js';

describe('file.gpu-device-open', () => {
  ruleTable(gpuDeviceOpen, {
    fires: [
      { name: '/dev/nvidia0 open failed', event: file('/dev/nvidia0', { result: -2 }) },
      { name: '/dev/nvidiactl', event: file('/dev/nvidiactl') },
      { name: '/dev/dri/renderD128', event: file('/dev/dri/renderD128') },
      { name: '/dev/kfd', event: file('/dev/kfd') },
    ],
    passes: [
      { name: 'granted GPU', event: file('/dev/nvidia0'), policy: { devices: { gpu: true } } },
      { name: '/dev/null', event: file('/dev/null') },
      { name: 'a file named nvidia in the workspace', event: file('/workspace/dev/nvidia0') },
    ],
  });
});
