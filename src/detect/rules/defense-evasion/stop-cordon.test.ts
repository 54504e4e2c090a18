import { describe } from 'vitest';
import { exec, sh, syscall, ruleTable } from '../../test-kit.js';
import { stopCordon } from './stop-cordon.js';

describe('proc.stop-cordon', () => {
  ruleTable(stopCordon, {
    fires: [
      { name: 'kill -9 1', event: exec(['kill', '-9', '1']) },
      { name: 'kill -KILL -1', event: sh('kill -KILL -1') },
      { name: 'pkill cordon', event: exec(['pkill', '-f', 'cordon']) },
      { name: 'killall bwrap', event: exec(['killall', 'bwrap']) },
      {
        name: 'kill syscall on pid 1',
        event: syscall('kill', { denied: false, args: { targetPid: 1, signal: 9 } }),
      },
      {
        name: 'kill syscall on -1',
        event: syscall('kill', { denied: false, args: { targetPid: -1, signal: 15 } }),
      },
    ],
    passes: [
      { name: 'kill a background job', event: sh('kill %1') },
      { name: 'kill a pid', event: exec(['kill', '-TERM', '4242']) },
      { name: 'kill -l', event: exec(['kill', '-l']) },
      {
        name: 'liveness probe of pid 1',
        event: syscall('kill', { denied: false, args: { targetPid: 1, signal: 0 } }),
      },
      {
        name: 'kill syscall on a child',
        event: syscall('kill', { denied: false, args: { targetPid: 57, signal: 15 } }),
      },
      { name: 'pkill a server', event: exec(['pkill', '-f', 'http.server']) },
    ],
  });
});
