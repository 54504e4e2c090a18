import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { minerFlags } from './miner-flags.js';

describe('proc.miner-flags', () => {
  ruleTable(minerFlags, {
    fires: [
      {
        name: 'stratum+tcp URL on a renamed binary',
        event: exec(['/tmp/.x/kworker', '-o', 'stratum+tcp://pool.rogue.test:3333']),
      },
      {
        name: 'stratum+ssl in a script',
        event: sh('./sysupdate --url=stratum+ssl://pool.rogue.test:443 -u 4ABC'),
      },
      { name: '--donate-level', event: exec(['./svc', '--donate-level=1', '--threads', '1']) },
      { name: '--cpu-max-threads-hint', event: exec(['./svc', '--cpu-max-threads-hint', '30']) },
      {
        name: '-o pool:port -u wallet',
        event: exec([
          './a.out',
          '-o',
          'pool.rogue.test:4444',
          '-u',
          '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A',
          '-p',
          'x',
        ]),
      },
      {
        name: 'algorithm with a pool',
        event: exec(['./svc', '-a', 'rx/0', '-o', 'pool.rogue.test:80']),
      },
    ],
    passes: [
      { name: 'gcc -o with -u symbol', event: exec(['gcc', '-o', 'out', '-u', 'main', 'a.c']) },
      {
        name: 'curl -o file -u user',
        event: exec(['curl', '-o', 'file.tar', '-u', 'me:pw', 'https://registry.test/x']),
      },
      {
        name: 'ssh -o option',
        event: exec(['ssh', '-o', 'StrictHostKeyChecking=no', 'git@registry.test']),
      },
      { name: 'sort -o', event: exec(['sort', '-o', 'out.txt', 'in.txt']) },
      { name: 'xz with threads', event: exec(['xz', '-T0', '-9', 'big.bin']) },
    ],
  });
});
