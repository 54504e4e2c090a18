import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { namespaceTools } from './namespace-tools.js';

describe('proc.namespace-tools', () => {
  ruleTable(namespaceTools, {
    fires: [
      {
        name: 'nsenter into pid 1',
        event: exec(['nsenter', '-t', '1', '-m', '-u', '-n', '-i', 'sh']),
      },
      { name: 'unshare -r', event: exec(['unshare', '-r', '-m', 'sh']) },
      { name: 'mount the host disk', event: sh('mkdir /tmp/h && mount /dev/sda1 /tmp/h') },
      {
        name: 'docker run privileged',
        event: exec(['docker', 'run', '--privileged', '-v', '/:/host', 'alpine']),
      },
      { name: 'chroot', event: exec(['chroot', '/proc/1/root', 'sh']) },
    ],
    passes: [
      { name: 'mount listing', event: exec(['mount']) },
      { name: 'docker version', event: exec(['docker', 'version']) },
      { name: 'findmnt', event: exec(['findmnt']) },
    ],
  });
});
