import { describe } from 'vitest';
import { exec, flow, syscall, ruleTable } from '../../test-kit.js';
import { networkedParent } from './shell-spawned-by-networked-process.js';

const py = () => exec(['python3', 'agent_tool.py'], { pid: 300, ppid: 1 });
const pyFlow = () =>
  flow({
    pid: 300,
    exe: '/usr/bin/python3',
    host: 'relay.rogue.test',
    port: 443,
    protocol: 'unknown',
  });

describe('proc.shell-spawned-by-networked-process', () => {
  ruleTable(networkedParent, {
    fires: [
      {
        name: 'python with a flow starts /bin/sh -i',
        given: [py(), pyFlow()],
        event: exec(['/bin/sh', '-i'], { pid: 301, ppid: 300 }),
      },
      {
        name: 'bare sh, no dup2 or flags',
        given: [py(), pyFlow()],
        event: exec(['sh'], { pid: 301, ppid: 300, exe: '/usr/bin/dash' }),
      },
      {
        name: 'connect traced by eBPF, no proxy pid',
        given: [
          py(),
          syscall('connect', {
            pid: 300,
            denied: false,
            args: { family: 'inet', address: '198.18.0.7', port: 4444, result: 0 },
          }),
        ],
        event: exec(['bash'], { pid: 301, ppid: 300 }),
      },
      {
        name: 'the flow is attributed after the shell started',
        given: [py(), exec(['sh', '-i'], { pid: 301, ppid: 300 })],
        event: pyFlow(),
      },
    ],
    passes: [
      {
        name: 'pip runs sh -c after a download',
        given: [py(), pyFlow()],
        event: exec(['/bin/sh', '-c', 'gcc -o x x.c'], { pid: 301, ppid: 300 }),
      },
      {
        name: 'interactive shell with no networked parent',
        given: [py()],
        event: exec(['sh', '-i'], { pid: 301, ppid: 300 }),
      },
      {
        name: 'a script run by a networked parent',
        given: [py(), pyFlow()],
        event: exec(['bash', 'build.sh'], { pid: 301, ppid: 300 }),
      },
      {
        name: 'connect to a loopback server',
        given: [
          py(),
          syscall('connect', {
            pid: 300,
            denied: false,
            args: { family: 'inet', address: '127.0.0.1', port: 8080, result: 0 },
          }),
        ],
        event: exec(['sh'], { pid: 301, ppid: 300 }),
      },
    ],
  });
});
