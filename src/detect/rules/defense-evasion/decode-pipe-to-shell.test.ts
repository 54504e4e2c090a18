import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { decodeToShell } from './decode-pipe-to-shell.js';

describe('proc.decode-pipe-to-shell', () => {
  ruleTable(decodeToShell, {
    fires: [
      {
        name: 'echo | base64 -d | sh',
        event: sh('echo Y3VybCBwb29sLnJvZ3VlLnRlc3QK | base64 -d | sh'),
      },
      { name: 'base64 --decode | bash', event: sh('cat payload.txt | base64 --decode | bash') },
      { name: 'xxd -r -p | sh', event: sh('echo 6c73 | xxd -r -p | sh') },
      { name: 'eval of decoded text', event: sh('eval "$(echo ZWNobyBoaQ== | base64 -d)"') },
      {
        name: 'python exec b64decode',
        event: exec(['python3', '-c', 'import base64;exec(base64.b64decode("cHJpbnQoMSk="))']),
      },
      {
        name: 'sibling execs under eBPF',
        given: [exec(['base64', '-d'], { pid: 501, ppid: 500 })],
        event: exec(['sh'], { pid: 502, ppid: 500, exe: '/usr/bin/dash' }),
      },
      {
        name: 'sibling execs under eBPF, shell seen first',
        given: [exec(['sh'], { pid: 502, ppid: 500, exe: '/usr/bin/dash' })],
        event: exec(['base64', '-d'], { pid: 501, ppid: 500 }),
      },
    ],
    passes: [
      { name: 'decode into a file', event: sh('base64 -d cert.b64 > cert.pem') },
      { name: 'encode and pipe', event: sh('tar c . | base64 | head') },
      { name: 'decode then sh -c script', event: sh("base64 -d in.b64 | sh -c 'wc -c'") },
      {
        name: 'decoder beside a shell running a script file',
        given: [exec(['sh', 'build.sh'], { pid: 502, ppid: 500 })],
        event: exec(['base64', '-d', 'in.b64'], { pid: 501, ppid: 500 }),
      },
      {
        name: 'python decoding data only',
        event: exec(['python3', '-c', 'import base64;print(base64.b64decode("aGk="))']),
      },
    ],
  });
});
