import { describe } from 'vitest';
import { exec, sh, write, file, ruleTable } from '../../test-kit.js';
import { systemdUnit } from './systemd-unit.js';

describe('persist.systemd-unit', () => {
  ruleTable(systemdUnit, {
    fires: [
      {
        name: 'unit file written',
        event: write('/etc/systemd/system/update.service', { result: -30 }),
      },
      {
        name: 'user unit via heredoc-ish redirect',
        event: sh('cat > ~/.config/systemd/user/agent.service < unit.txt'),
      },
      {
        name: 'systemctl enable',
        event: exec(['systemctl', '--user', 'enable', '--now', 'agent.service']),
      },
      { name: 'systemd-run timer', event: exec(['systemd-run', '--on-calendar=*:0/5', '/tmp/x']) },
      { name: 'rc.local append', event: sh('echo /tmp/x >> /etc/rc.local') },
    ],
    passes: [
      { name: 'systemctl status', event: exec(['systemctl', 'status', 'nginx']) },
      { name: 'reading a unit', event: file('/lib/systemd/system/ssh.service') },
    ],
  });
});
