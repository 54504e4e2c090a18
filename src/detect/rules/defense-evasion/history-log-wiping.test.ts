import { describe } from 'vitest';
import { sh, exec, ruleTable } from '../../test-kit.js';
import { historyLogWiping } from './history-log-wiping.js';

describe('proc.history-log-wiping', () => {
  ruleTable(historyLogWiping, {
    fires: [
      { name: 'history -c', event: sh('history -c') },
      { name: 'unset HISTFILE', event: sh('unset HISTFILE; curl x') },
      { name: 'HISTFILE=/dev/null', event: sh('export HISTFILE=/dev/null') },
      { name: 'rm bash_history', event: exec(['rm', '-f', '/workspace/.bash_history']) },
      { name: 'truncate a log', event: exec(['truncate', '-s', '0', '/var/log/auth.log']) },
      { name: 'redirect over a log', event: sh('cat /dev/null > /var/log/syslog') },
      { name: 'journalctl vacuum', event: exec(['journalctl', '--vacuum-time=1s']) },
    ],
    passes: [
      { name: 'history listing', event: sh('history | tail') },
      { name: 'reading a log', event: exec(['tail', '-n', '50', '/var/log/syslog']) },
      { name: 'rm build outputs', event: exec(['rm', '-rf', 'build/', 'dist/']) },
    ],
  });
});
