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
    ],
    passes: [
      { name: '/proc/self/environ', event: file('/proc/self/environ') },
      { name: 'own pid', event: file('/proc/100/environ', { pid: 100 }) },
      { name: '/proc/1/status', event: file('/proc/1/status') },
      { name: 'printenv', event: exec(['printenv']) },
    ],
  });
});
