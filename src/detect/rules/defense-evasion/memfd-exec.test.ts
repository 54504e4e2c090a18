import { describe } from 'vitest';
import { exec, syscall, ruleTable } from '../../test-kit.js';
import { memfdExec } from './memfd-exec.js';

describe('proc.memfd-exec', () => {
  ruleTable(memfdExec, {
    fires: [
      { name: 'memfd exe', event: exec(['kworker'], { exe: '/memfd:payload (deleted)' }) },
      { name: 'fd path', event: exec(['x'], { exe: '/proc/self/fd/3' }) },
      { name: 'deleted file', event: exec(['x'], { exe: '/tmp/x (deleted)' }) },
      {
        name: 'execveat on a bare fd',
        event: syscall('execveat', { denied: false, args: { fd: 4, flags: 4096, path: '' } }),
      },
    ],
    passes: [
      { name: 'ordinary exec', event: exec(['ls']) },
      {
        name: 'memfd_create alone',
        event: syscall('memfd_create', { denied: false, args: { flags: 1, name: 'v8' } }),
      },
      {
        name: 'execveat with a path',
        event: syscall('execveat', {
          denied: false,
          args: { fd: -100, flags: 0, path: '/usr/bin/ls' },
        }),
      },
    ],
  });
});
