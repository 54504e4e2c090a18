/**
 * persist.cron: a cron or at job is installed (`crontab -e|file|-`, `at`, writes to /etc/cron*,
 * /var/spool/cron) so code runs again later. ATT&CK T1053.003, T1053.002. Severity high.
 * `crontab -l` (reading) is not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf } from '../../lib/command.js';
import { writeHit } from '../../lib/writes.js';

const CRON_PATH =
  /^\/etc\/(crontab|anacrontab|cron\.(d|hourly|daily|weekly|monthly)(\/|$))|^\/var\/spool\/(cron|at)(\/|$)/;

export const cron = defineRule({
  id: 'persist.cron',
  category: 'persistence',
  severity: 'high',
  attack: ['T1053.003', 'T1053.002'],
  reason: 'A scheduled job was installed',
  kinds: ['process.exec', 'file.access'],
  check(event) {
    if (event.kind === 'process.exec') {
      for (const cmd of commandsOf(event.argv)) {
        if (cmd.name === 'crontab' && !cmd.args.some((a) => a === '-l' || a === '-r')) {
          return execHit(event, `crontab ${cmd.args.join(' ')}`.trim().slice(0, 120), {
            tool: 'crontab',
          });
        }
        if ((cmd.name === 'at' || cmd.name === 'batch') && !cmd.args.includes('-l')) {
          return execHit(event, `${cmd.name} job scheduled`, { tool: cmd.name });
        }
      }
    }
    return writeHit(event, (p) => CRON_PATH.test(p));
  },
});
