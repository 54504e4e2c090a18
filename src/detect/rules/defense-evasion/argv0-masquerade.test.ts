import { describe } from 'vitest';
import { exec, ruleTable } from '../../test-kit.js';
import { argv0Masquerade } from './argv0-masquerade.js';

describe('proc.argv0-masquerade', () => {
  ruleTable(argv0Masquerade, {
    fires: [
      { name: 'kernel thread name', event: exec(['[kworker/0:1]'], { exe: '/tmp/.x/xm' }) },
      { name: 'exe named like a kthread', event: exec(['kworker'], { exe: '/tmp/kworker' }) },
      { name: 'posing as sshd', event: exec(['sshd'], { exe: '/workspace/.cache/x' }) },
      {
        name: 'monitor says mismatched',
        event: exec(['lsx'], { exe: '/workspace/bin/tool', argv0Mismatch: true }),
      },
    ],
    passes: [
      { name: 'sh -> dash', event: exec(['sh', '-c', 'true'], { exe: '/usr/bin/dash' }) },
      { name: 'python3 -> python3.11', event: exec(['python3'], { exe: '/usr/bin/python3.11' }) },
      { name: 'busybox applet', event: exec(['sshd'], { exe: '/bin/busybox' }) },
      { name: 'login shell', event: exec(['-bash'], { exe: '/usr/bin/bash' }) },
    ],
  });
});
