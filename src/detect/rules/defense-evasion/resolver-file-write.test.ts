import { describe } from 'vitest';
import { file, write, ruleTable } from '../../test-kit.js';
import { resolverFileWrite } from './resolver-file-write.js';

describe('file.resolver-file-write', () => {
  ruleTable(resolverFileWrite, {
    fires: [
      {
        name: 'resolv.conf opened for writing (failed)',
        event: write('/etc/resolv.conf', { result: -30 }),
      },
      { name: 'hosts renamed over', event: file('/etc/hosts', { op: 'rename' }) },
      { name: 'monitor op write', event: file('/etc/nsswitch.conf', { op: 'write' }) },
    ],
    passes: [
      { name: 'reading resolv.conf', event: file('/etc/resolv.conf') },
      { name: 'a workspace hosts file', event: write('/workspace/etc/hosts') },
    ],
  });
});
