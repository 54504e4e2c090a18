import { describe } from 'vitest';
import { exec, sh, write, file, ruleTable } from '../../test-kit.js';
import { authorizedKeys } from './authorized-keys.js';

describe('persist.authorized-keys', () => {
  ruleTable(authorizedKeys, {
    fires: [
      {
        name: 'echo >> authorized_keys',
        event: sh("echo 'ssh-ed25519 AAAA attacker' >> ~/.ssh/authorized_keys"),
      },
      { name: 'open for writing', event: write('/workspace/.ssh/authorized_keys') },
      {
        name: 'cp over authorized_keys2',
        event: exec(['cp', 'key.pub', '/root/.ssh/authorized_keys2']),
      },
      { name: 'ssh-copy-id', event: exec(['ssh-copy-id', 'user@relay.rogue.test']) },
    ],
    passes: [
      {
        name: 'generating a deploy key',
        event: exec(['ssh-keygen', '-t', 'ed25519', '-f', '/workspace/.ssh/deploy_key', '-N', '']),
      },
      {
        name: 'key file written by ssh-keygen',
        event: write('/workspace/.ssh/id_ed25519', { exe: '/usr/bin/ssh-keygen' }),
      },
      { name: 'reading authorized_keys', event: file('/workspace/.ssh/authorized_keys') },
    ],
  });
});
