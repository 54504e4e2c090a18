import { describe } from 'vitest';
import { exec, sh, write, file, ruleTable } from '../../test-kit.js';
import { ldPreload } from './ld-preload.js';

describe('persist.ld-preload', () => {
  ruleTable(ldPreload, {
    fires: [
      { name: 'echo into ld.so.preload', event: sh('echo /tmp/libx.so > /etc/ld.so.preload') },
      { name: 'write attempt', event: write('/etc/ld.so.preload', { result: -30 }) },
    ],
    passes: [
      { name: 'the loader reading it', event: file('/etc/ld.so.preload', { result: -2 }) },
      {
        name: 'LD_PRELOAD for one command',
        event: exec(['env', 'LD_PRELOAD=/usr/lib/libfaketime.so', 'date']),
      },
    ],
  });
});
