/**
 * res.gpu-after-command: in a sandbox granted a GPU, its processes keep holding GPU memory for 4 s
 * or more after the agent's command returned: GPU work left running in the background, the way
 * training GPUs get turned to mining. ATT&CK T1496. Severity medium: holding memory is not proof of
 * compute, but nothing of the agent's should still be on the GPU.
 */
import { defineRule } from '../../rule.js';

const WINDOW_MS = 5_000;
const MIN_SPAN_MS = 4_000;
const MIB = 1024 * 1024;

export const gpuAfterCommand = defineRule({
  id: 'res.gpu-after-command',
  category: 'resource-abuse',
  severity: 'medium',
  attack: ['T1496'],
  reason: "The GPU stays in use after the agent's command returned",
  kinds: ['resource.sample'],
  check(_event, state) {
    if (!state.commandReturned || !state.policy?.devices.gpu) return null;
    const window = state.cpu(WINDOW_MS);
    if (!window.allAfterCommand || window.samples < 3 || window.spanMs < MIN_SPAN_MS) return null;
    if (window.minGpuBytes <= 0) return null;
    const mib = Math.round(window.minGpuBytes / MIB);
    return {
      detail: `${mib} MiB of GPU memory held for ${(window.spanMs / 1000).toFixed(1)} s after the command returned`,
      evidence: { gpuMemoryBytes: window.minGpuBytes, spanMs: window.spanMs },
      key: 'gpu-after-command',
      // No exec is running: every live process is work the command left behind.
      pids: state.livePids(),
    };
  },
});
