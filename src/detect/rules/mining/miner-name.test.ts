import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { minerName } from './miner-name.js';

describe('proc.miner-name', () => {
  ruleTable(minerName, {
    fires: [
      { name: 'xmrig by path', event: exec(['/tmp/xmrig', '-c', 'config.json']) },
      { name: 'cpuminer-opt', event: exec(['cpuminer-opt', '-a', 'sha256d']) },
      { name: 'renamed argv[0] but exe is t-rex', event: exec(['worker'], { exe: '/opt/t-rex' }) },
      { name: 'inside sh -c', event: sh('cd /tmp && ./lolMiner --algo ETHASH') },
      { name: 'through nohup', event: exec(['nohup', './nbminer', '-a', 'kawpow']) },
      { name: 'srbminer-multi', event: exec(['./SRBMiner-MULTI']) },
    ],
    passes: [
      { name: 'minecraft server', event: exec(['java', '-jar', 'minecraft_server.jar']) },
      { name: 'make', event: exec(['make', '-j4']) },
      { name: 'grep for xmrig in logs', event: exec(['grep', '-r', 'xmrig', 'logs/']) },
      { name: 'a file named miner.py run by python', event: exec(['python3', 'data_miner.py']) },
    ],
  });
});
