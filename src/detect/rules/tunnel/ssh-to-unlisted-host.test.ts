import { describe } from 'vitest';
import { flow, ruleTable } from '../../test-kit.js';
import { sshToUnlistedHost } from './ssh-to-unlisted-host.js';

describe('net.ssh-to-unlisted-host', () => {
  ruleTable(sshToUnlistedHost, {
    fires: [
      {
        name: 'SSH banner on 22',
        event: flow({ host: 'relay.rogue.test', port: 22, protocol: 'ssh', exe: '/usr/bin/ssh' }),
      },
      {
        name: 'SSH banner on 443',
        event: flow({ host: 'relay.rogue.test', port: 443, protocol: 'ssh' }),
      },
      {
        name: 'SSH inside CONNECT',
        event: flow({
          port: 3128,
          protocol: 'http-connect',
          details: { inner: 'ssh', version: 'SSH-2.0-OpenSSH_9.2' },
        }),
      },
    ],
    passes: [
      {
        name: 'git over SSH to a listed host',
        event: flow({ host: 'git.registry.test', port: 22, protocol: 'ssh', decision: 'allow' }),
      },
      { name: 'denied TLS', event: flow({ host: 'relay.rogue.test', port: 443, protocol: 'tls' }) },
    ],
  });
});
