import { describe } from 'vitest';
import { file, ruleTable } from '../../test-kit.js';
import { historyFileErased } from './history-file-erased.js';

describe('file.history-file-erased', () => {
  ruleTable(historyFileErased, {
    fires: [
      {
        name: 'rm unlinks bash_history',
        event: file('/workspace/.bash_history', { op: 'unlink', exe: '/usr/bin/rm' }),
      },
      {
        name: 'truncating open',
        event: file('/workspace/.zsh_history', {
          op: 'write',
          flags: 0o1001,
          exe: '/usr/bin/python3',
        }),
      },
      {
        name: 'log write attempt',
        event: file('/var/log/auth.log', { op: 'write', flags: 1, result: -30 }),
      },
    ],
    passes: [
      {
        name: 'bash saving its own history',
        event: file('/workspace/.bash_history', {
          op: 'write',
          flags: 0o1001,
          exe: '/usr/bin/bash',
        }),
      },
      { name: 'reading history', event: file('/workspace/.bash_history') },
      { name: 'reading a log', event: file('/var/log/dpkg.log') },
    ],
  });
});
