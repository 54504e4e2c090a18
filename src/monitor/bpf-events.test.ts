import { describe, expect, test } from 'vitest';
import { callerArgv } from './bpf-events.js';
import { splitArgv } from './proc-facts.js';

describe('argv of a #! script', () => {
  test.each([
    [['/bin/sh', '/tmp/x.sh', 'a'], '/tmp/x.sh', ['/tmp/x.sh', 'a']],
    [['/usr/bin/env', 'python3', './x.py'], './x.py', ['./x.py']],
    [
      ['/bin/sh', '-e', '/tmp/.cache/kworker', '-o', 'pool'],
      '/tmp/.cache/kworker',
      ['/tmp/.cache/kworker', '-o', 'pool'],
    ],
  ])("%j run as %s is the caller's", (kernel, filename, expected) => {
    expect(callerArgv(kernel, filename)).toEqual(expected);
  });

  test.each([
    [['true', 'x'], '/bin/true'],
    // A program given its own path: not a script (argv[0] names the program).
    [['cat', '/usr/bin/cat'], '/usr/bin/cat'],
    [[], '/bin/true'],
  ])('%j of %s is left as it is', (kernel, filename) => {
    expect(callerArgv(kernel, filename)).toEqual(kernel);
  });
});

describe('argv area', () => {
  test.each([
    ['ls\0-la\0', ['ls', '-la']],
    ['a\0\0b\0', ['a', '', 'b']], // an empty argument stays
    ['\0', ['']],
    ['', []],
    ['sh\0-c\0echo a\tb\\x00\0', ['sh', '-c', 'echo a\tb\\x00']],
    ['xmrig\0--url=stratum+tc', ['xmrig', '--url=stratum+tc']], // cut short: the last one cut
    ['caf\xc3\xa9\0', ['café']],
  ])('%j', (area, expected) => {
    expect(splitArgv(Buffer.from(area, 'latin1'))).toEqual(expected);
  });
});
