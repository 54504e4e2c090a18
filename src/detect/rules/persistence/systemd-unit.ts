/**
 * persist.systemd-unit: a systemd unit or init script is written or enabled (`systemctl enable`,
 * `systemd-run --on-*`, files under /etc/systemd, ~/.config/systemd, /etc/init.d, /etc/rc.local).
 * ATT&CK T1543.002, T1037.004. Severity high.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf } from '../../lib/command.js';
import { writeHit } from '../../lib/writes.js';

const UNIT_PATH =
  /^\/(etc|lib|usr\/lib|run)\/systemd\/(system|user)(\/|$)|\/\.config\/systemd\/user(\/|$)|^\/etc\/(init\.d|rc\.local|rc\d\.d)(\/|$)/;

export const systemdUnit = defineRule({
  id: 'persist.systemd-unit',
  category: 'persistence',
  severity: 'high',
  attack: ['T1543.002', 'T1037.004'],
  reason: 'A service was installed or enabled to run again later',
  kinds: ['process.exec', 'file.access'],
  check(event) {
    if (event.kind === 'process.exec') {
      for (const cmd of commandsOf(event.argv)) {
        if (
          cmd.name === 'systemctl' &&
          cmd.args.some((a) => /^(enable|link|edit|preset|reenable)$/.test(a))
        ) {
          return execHit(event, `systemctl ${cmd.args.join(' ')}`.slice(0, 120), {
            tool: 'systemctl',
          });
        }
        if (
          cmd.name === 'systemd-run' &&
          cmd.args.some((a) => /^--(on-|unit|timer-property)/.test(a))
        ) {
          return execHit(event, 'systemd-run timer', { tool: 'systemd-run' });
        }
        if (cmd.name === 'update-rc.d' || cmd.name === 'chkconfig')
          return execHit(event, `${cmd.name}`, { tool: cmd.name });
      }
    }
    return writeHit(event, (p) => UNIT_PATH.test(p.replace(/^~/, '/home/user')));
  },
});
