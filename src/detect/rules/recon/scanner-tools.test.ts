import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { scannerTools } from './scanner-tools.js';

describe('proc.scanner-tools', () => {
  ruleTable(scannerTools, {
    fires: [
      { name: 'nmap', event: exec(['nmap', '-sT', '198.18.0.0/24']) },
      { name: 'masscan', event: sh('masscan -p1-65535 198.18.0.0/16 --rate 1000') },
      { name: 'nc -z range', event: exec(['nc', '-zv', '198.18.0.5', '1-1024']) },
      {
        name: 'bash /dev/tcp loop',
        event: sh(
          'for p in $(seq 1 1024); do (echo > /dev/tcp/198.18.0.5/$p) 2>/dev/null && echo $p; done',
        ),
      },
    ],
    passes: [
      { name: 'nc -z one port', event: exec(['nc', '-z', 'localhost', '8080']) },
      { name: 'ping', event: exec(['ping', '-c', '1', 'registry.test']) },
      {
        name: 'wait-for-port loop on one port',
        event: sh('for i in 1 2 3; do (echo > /dev/tcp/127.0.0.1/8080) && break; sleep 1; done'),
      },
    ],
  });
});
