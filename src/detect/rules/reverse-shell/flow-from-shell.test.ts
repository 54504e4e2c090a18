import { describe } from 'vitest';
import { exec, flow, ruleTable } from '../../test-kit.js';
import { flowFromShell } from './flow-from-shell.js';

describe('net.flow-from-shell', () => {
  ruleTable(flowFromShell, {
    fires: [
      {
        name: 'bash opens a denied socket',
        event: flow({ pid: 400, exe: '/usr/bin/bash', host: 'relay.rogue.test', port: 4444 }),
      },
      {
        name: 'exe from the process table',
        given: [exec(['sh', '-i'], { pid: 400, exe: '/usr/bin/dash' })],
        event: flow({ pid: 400, exe: undefined, port: 443 }),
      },
    ],
    passes: [
      {
        name: 'allowed health check',
        event: flow({ pid: 400, exe: '/usr/bin/bash', host: 'registry.test', decision: 'allow' }),
      },
      { name: 'curl denied', event: flow({ pid: 400, exe: '/usr/bin/curl' }) },
      { name: 'no pid', event: flow({ pid: undefined, exe: undefined }) },
    ],
  });
});
