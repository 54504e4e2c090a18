import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { msrHugepageTuning } from './msr-hugepage-tuning.js';

describe('proc.msr-hugepage-tuning', () => {
  ruleTable(msrHugepageTuning, {
    fires: [
      { name: 'modprobe msr', event: exec(['modprobe', 'msr']) },
      { name: 'wrmsr', event: exec(['wrmsr', '-a', '0x1a4', '0xf']) },
      { name: 'sysctl -w vm.nr_hugepages', event: exec(['sysctl', '-w', 'vm.nr_hugepages=1280']) },
      { name: 'echo into nr_hugepages', event: sh('echo 1280 > /proc/sys/vm/nr_hugepages') },
      {
        name: 'tee into hugepages sysfs',
        event: sh('echo 3 | tee /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages'),
      },
    ],
    passes: [
      { name: 'reading nr_hugepages', event: exec(['cat', '/proc/sys/vm/nr_hugepages']) },
      { name: 'sysctl read', event: exec(['sysctl', 'vm.nr_hugepages']) },
      { name: 'modprobe another module', event: exec(['modprobe', 'loop']) },
    ],
  });
});
