import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { gpuDiscovery } from './gpu-discovery.js';

describe('proc.gpu-discovery', () => {
  ruleTable(gpuDiscovery, {
    fires: [
      { name: 'nvidia-smi', event: exec(['nvidia-smi', '--query-gpu=name', '--format=csv']) },
      { name: 'clinfo in a script', event: sh('clinfo | head') },
      { name: 'lspci | grep -i vga', event: sh('lspci | grep -i vga') },
      {
        name: 'lspci and grep as sibling execs',
        given: [exec(['lspci'], { pid: 201, ppid: 200 })],
        event: exec(['grep', '-i', '3d controller'], { pid: 202, ppid: 200 }),
      },
      {
        name: 'grep exec seen before lspci',
        given: [exec(['grep', '-i', 'vga'], { pid: 212, ppid: 210 })],
        event: exec(['lspci'], { pid: 211, ppid: 210 }),
      },
    ],
    passes: [
      {
        name: 'nvidia-smi with a granted GPU',
        event: exec(['nvidia-smi']),
        policy: { devices: { gpu: true } },
      },
      { name: 'lspci alone', event: exec(['lspci']) },
      { name: 'grep vga in sources', event: exec(['grep', '-ri', 'vga', 'src/']) },
      { name: 'nproc', event: exec(['nproc']) },
    ],
  });
});
