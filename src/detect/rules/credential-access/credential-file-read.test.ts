import { describe } from 'vitest';
import { exec, file, write, ruleTable } from '../../test-kit.js';
import { credentialFileRead } from './credential-file-read.js';

describe('file.credential-file-read', () => {
  ruleTable(credentialFileRead, {
    fires: [
      { name: 'cat an SSH key', event: file('/workspace/.ssh/id_rsa', { exe: '/usr/bin/cat' }) },
      {
        name: 'aws credentials (hidden, failed)',
        event: file('/root/.aws/credentials', { result: -2, exe: '/usr/bin/python3' }),
      },
      { name: '/etc/shadow', event: file('/etc/shadow', { result: -13 }) },
      { name: '.netrc', event: file('/workspace/.netrc') },
      { name: 'command line', event: exec(['cat', '/root/.aws/credentials']) },
      { name: 'tar of a key', event: exec(['tar', 'czf', '/tmp/k.tgz', '/root/.ssh/id_ed25519']) },
    ],
    passes: [
      {
        name: 'grep BEGIN PRIVATE KEY in fixtures',
        event: exec(['grep', '-r', 'BEGIN PRIVATE KEY', 'test/fixtures']),
      },
      {
        name: 'ssh reading its key for git',
        event: file('/workspace/.ssh/id_ed25519', { exe: '/usr/bin/ssh' }),
      },
      {
        name: 'a deploy key generated during the run',
        given: [write('/workspace/.ssh/id_ed25519', { exe: '/usr/bin/ssh-keygen' })],
        event: file('/workspace/.ssh/id_ed25519', { exe: '/usr/bin/cat' }),
      },
      { name: 'public key', event: file('/workspace/.ssh/id_ed25519.pub') },
      { name: 'chmod of a key', event: exec(['chmod', '600', '/workspace/.ssh/id_ed25519']) },
      {
        name: 'ssh-keygen writing a key',
        event: write('/workspace/.ssh/id_rsa', { exe: '/usr/bin/ssh-keygen' }),
      },
    ],
  });
});
