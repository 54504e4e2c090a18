import { describe } from 'vitest';
import { file, write, ruleTable } from '../../test-kit.js';
import { msrHugepageWrite } from './msr-hugepage-write.js';

describe('file.msr-hugepage-write', () => {
  ruleTable(msrHugepageWrite, {
    fires: [
      { name: 'MSR device open', event: file('/dev/cpu/0/msr', { result: -2 }) },
      { name: 'nr_hugepages write', event: write('/proc/sys/vm/nr_hugepages') },
      {
        name: 'sysfs hugepages write (monitor op write)',
        event: file('/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages', { op: 'write' }),
      },
    ],
    passes: [
      { name: 'nr_hugepages read', event: file('/proc/sys/vm/nr_hugepages') },
      { name: 'cpuinfo', event: file('/proc/cpuinfo') },
    ],
  });
});
