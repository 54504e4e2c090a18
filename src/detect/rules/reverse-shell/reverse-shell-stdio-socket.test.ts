import { describe } from 'vitest';
import { exec, ruleTable } from '../../test-kit.js';
import { reverseShellStdioSocket } from './reverse-shell-stdio-socket.js';

const sock = { stdin: 'socket', stdout: 'socket', stderr: 'socket' } as const;
const pipes = { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' } as const;

describe('proc.reverse-shell-stdio-socket', () => {
  ruleTable(reverseShellStdioSocket, {
    fires: [
      {
        name: 'sh -i on a socket',
        event: exec(['sh', '-i'], { stdio: sock, exe: '/usr/bin/dash' }),
      },
      {
        name: 'bare bash on a socket',
        event: exec(['bash'], { stdio: { ...pipes, stdin: 'socket' } }),
      },
      { name: 'python REPL on a socket', event: exec(['python3', '-i'], { stdio: sock }) },
    ],
    passes: [
      { name: 'shell on pipes', event: exec(['sh', '-i'], { stdio: pipes }) },
      {
        name: 'sh -c script on a socket (inetd-style service)',
        event: exec(['sh', '-c', 'echo hi'], { stdio: sock }),
      },
      { name: 'curl on a socket', event: exec(['curl', 'x'], { stdio: sock }) },
      { name: 'no stdio facts', event: exec(['sh', '-i']) },
    ],
  });
});
