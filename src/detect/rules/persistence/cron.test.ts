import { describe } from 'vitest';
import { exec, sh, write, file, ruleTable } from '../../test-kit.js';
import { cron } from './cron.js';

describe('persist.cron', () => {
  ruleTable(cron, {
    fires: [
      {
        name: 'crontab from stdin',
        event: sh('(crontab -l; echo "* * * * * /tmp/.x/run") | crontab -'),
      },
      { name: 'crontab file', event: exec(['crontab', '/tmp/cron.txt']) },
      {
        name: 'write to /etc/cron.d',
        event: sh("echo '* * * * * root /tmp/x' > /etc/cron.d/update"),
      },
      {
        name: 'spool file written',
        event: write('/var/spool/cron/crontabs/root', { result: -30 }),
      },
      { name: 'at job', event: sh('echo /tmp/x | at now + 1 minute') },
    ],
    passes: [
      { name: 'crontab -l', event: exec(['crontab', '-l']) },
      { name: 'reading /etc/crontab', event: file('/etc/crontab') },
      { name: 'a cron-like file in the workspace', event: write('/workspace/cron.d/job') },
    ],
  });
});
