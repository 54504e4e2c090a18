import { describe } from 'vitest';
import { exec, sh, file, ruleTable } from '../../test-kit.js';
import { otherProcessMemory } from './other-process-memory.js';

describe('file.other-process-memory', () => {
  ruleTable(otherProcessMemory, {
    fires: [
      { name: '/proc/1/environ', event: file('/proc/1/environ') },
      { name: '/proc/<pid>/mem', event: file('/proc/77/mem', { result: -13 }) },
      {
        name: 'strings over all environs',
        event: sh('for f in /proc/*/environ; do strings $f; done'),
      },
      { name: 'cat /proc/1/environ', event: exec(['cat', '/proc/1/environ']) },
      {
        name: 'ps asked to print environments (ps auxe)',
        given: [exec(['ps', 'auxe'], { pid: 300 })],
        event: file('/proc/1/environ', { pid: 300, exe: '/usr/bin/ps' }),
      },
      {
        name: 'a copy of ps renamed elsewhere',
        given: [exec(['/tmp/ps', 'aux'], { pid: 300 })],
        event: file('/proc/1/environ', { pid: 300, exe: '/tmp/ps' }),
      },
      {
        name: 'the host ps reading another process memory',
        given: [exec(['ps', 'aux'], { pid: 300 })],
        event: file('/proc/1/mem', { pid: 300, exe: '/usr/bin/ps' }),
      },
    ],
    passes: [
      { name: '/proc/self/environ', event: file('/proc/self/environ') },
      { name: 'own pid', event: file('/proc/100/environ', { pid: 100 }) },
      { name: '/proc/1/status', event: file('/proc/1/status') },
      { name: 'printenv', event: exec(['printenv']) },
      {
        name: 'ps aux listing processes (procps opens every environ)',
        given: [exec(['ps', 'aux'], { pid: 300 })],
        event: file('/proc/1/environ', { pid: 300, exe: '/usr/bin/ps', result: -13 }),
      },
      {
        name: 'ps -ef',
        given: [exec(['ps', '-ef'], { pid: 300 })],
        event: file('/proc/7/environ', { pid: 300, exe: '/usr/bin/ps' }),
      },
    ],
  });
});
