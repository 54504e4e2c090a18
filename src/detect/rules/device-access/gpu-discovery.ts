/**
 * proc.gpu-discovery: a program enumerates GPUs (nvidia-smi, rocm-smi, clinfo, `lspci | grep vga`)
 * in a sandbox that was granted none: the first step of hijacking accelerators, as ROME did.
 * ATT&CK T1082 (system discovery), T1496. Severity medium; quiet when the policy grants a GPU.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, execNames, pipelinesOf } from '../../lib/command.js';

const GPU_TOOLS = new Set([
  'nvidia-smi',
  'nvidia-settings',
  'nvtop',
  'gpustat',
  'rocm-smi',
  'rocminfo',
  'amd-smi',
  'clinfo',
  'intel_gpu_top',
  'vulkaninfo',
  'nvidia-debugdump',
  'dcgmi',
  'xpu-smi',
]);
const GPU_PATTERN = /vga|3d|display|nvidia|radeon|amd\/ati|10de|1002/i;

export const gpuDiscovery = defineRule({
  id: 'proc.gpu-discovery',
  category: 'device-access',
  severity: 'medium',
  attack: ['T1082', 'T1496'],
  reason: 'GPUs were enumerated in a sandbox that was granted none',
  kinds: ['process.exec'],
  check(event, state) {
    if (state.policy?.devices.gpu) return null;
    const tool = [...execNames(event), ...commandsOf(event.argv).map((c) => c.name)].find((n) =>
      GPU_TOOLS.has(n),
    );
    if (tool) return execHit(event, `GPU discovery with ${tool}`, { tool });
    const commands = commandsOf(event.argv);
    for (const pipe of pipelinesOf(commands)) {
      const lspci = pipe.some((c) => c.name === 'lspci');
      const grep = pipe.some(
        (c) => /^(grep|egrep|rg)$/.test(c.name) && c.args.some((a) => GPU_PATTERN.test(a)),
      );
      if (lspci && grep)
        return execHit(event, 'GPU discovery with lspci | grep', { tool: 'lspci' });
    }
    // Under eBPF, `lspci | grep -i vga` also arrives as two sibling execs, in either order.
    const gpuGrep = (c: { name: string; args: string[] } | undefined) =>
      !!c && /^(grep|egrep)$/.test(c.name) && c.args.some((a) => GPU_PATTERN.test(a));
    const top = commandsOf(event.argv)[0];
    const siblings = () => state.siblings(event.pid, 2_000);
    const piped =
      (gpuGrep(top) && siblings().some((p) => p.argv[0]?.endsWith('lspci'))) ||
      (top?.name === 'lspci' && siblings().some((p) => gpuGrep(commandsOf(p.argv)[0])));
    return piped ? execHit(event, 'GPU discovery with lspci | grep', { tool: 'lspci' }) : null;
  },
});
