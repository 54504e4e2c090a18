import { describe } from 'vitest';
import { syscall, ruleTable } from '../../test-kit.js';
import { escapeSyscall } from './escape-syscall.js';

describe('syscall.escape-syscall', () => {
  ruleTable(escapeSyscall, {
    fires: [
      {
        name: 'mount denied by seccomp',
        event: syscall('mount', { args: { nr: 165, argv: 'mount -t proc proc /mnt' } }),
      },
      { name: 'unshare denied', event: syscall('unshare') },
      { name: 'setns', event: syscall('setns', { denied: false, args: { fd: 3, nstype: 0 } }) },
      { name: 'init_module', event: syscall('init_module') },
      { name: 'open_by_handle_at (shocker)', event: syscall('open_by_handle_at') },
    ],
    passes: [
      {
        name: 'connect',
        event: syscall('connect', {
          denied: false,
          args: { family: 'inet', address: '198.18.0.1', port: 443 },
        }),
      },
      { name: 'memfd_create', event: syscall('memfd_create', { denied: false }) },
      {
        name: 'kill',
        event: syscall('kill', { denied: false, args: { targetPid: 5, signal: 15 } }),
      },
    ],
  });
});
