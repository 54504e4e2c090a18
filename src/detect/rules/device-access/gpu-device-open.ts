/**
 * file.gpu-device-open: a GPU device node (/dev/nvidia*, /dev/dri/*, /dev/kfd, /dev/accel/*) was
 * opened, or an open was tried, in a sandbox granted no GPU. ATT&CK T1496, T1082. Severity high:
 * the sandbox has no such node, so trying one is deliberate.
 */
import { defineRule } from '../../rule.js';

const GPU_DEVICE = /^\/dev\/(nvidia[\w-]*|dri(\/.*)?|kfd|accel(\/.*)?|nvhost[\w-]*|mali\d*)$/;

export const gpuDeviceOpen = defineRule({
  id: 'file.gpu-device-open',
  category: 'device-access',
  severity: 'high',
  attack: ['T1496', 'T1082'],
  reason: 'A GPU device was opened in a sandbox granted no GPU',
  kinds: ['file.access'],
  check(event, state) {
    if (state.policy?.devices.gpu || !GPU_DEVICE.test(event.path)) return null;
    const outcome = event.result === 0 ? 'opened' : 'open failed';
    return {
      detail: `GPU device ${event.path} ${outcome}`,
      evidence: { path: event.path, result: event.result },
      pid: event.pid,
      exe: event.exe,
      key: event.path,
    };
  },
});
