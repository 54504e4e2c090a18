import { describe } from 'vitest';
import { exec, file, sh, write, ruleTable } from '../../test-kit.js';
import { hostEscapePath } from './host-escape-path.js';

describe('file.host-escape-path', () => {
  ruleTable(hostEscapePath, {
    fires: [
      { name: '/proc/1/root traversal', event: file('/proc/1/root/etc/shadow', { result: -13 }) },
      { name: 'release_agent write', event: sh('echo /tmp/x > /sys/fs/cgroup/rdma/release_agent') },
      {
        name: 'core_pattern write',
        event: write('/proc/sys/kernel/core_pattern', { result: -30 }),
      },
      { name: 'ls /proc/1/root', event: exec(['ls', '/proc/1/root/']) },
      { name: 'sysrq', event: write('/proc/sysrq-trigger') },
    ],
    passes: [
      { name: 'reading core_pattern', event: file('/proc/sys/kernel/core_pattern') },
      { name: '/proc/1/status', event: file('/proc/1/status') },
      { name: 'ps', event: exec(['ps', 'aux']) },
    ],
  });
});
