import { describe, expect, test } from 'vitest';
import { callerArgv } from './bpf-events.js';

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
