import { describe, expect, test } from 'vitest';
import { exec, sh, ruleTable, runRule } from '../../test-kit.js';
import { socatNcRelay } from './socat-nc-relay.js';

describe('proc.socat-nc-relay', () => {
  ruleTable(socatNcRelay, {
    fires: [
      {
        name: 'socat listen to remote',
        event: exec(['socat', 'TCP-LISTEN:8080,fork', 'TCP:relay.rogue.test:22']),
      },
      {
        name: 'socat openssl relay',
        event: exec(['socat', 'TCP4-LISTEN:2222', 'OPENSSL:relay.rogue.test:443,verify=0']),
      },
      {
        name: 'netcat pipeline relay',
        event: sh('mkfifo /tmp/b; nc -l -p 8080 < /tmp/b | nc relay.rogue.test 80 > /tmp/b'),
      },
    ],
    passes: [
      { name: 'socat to a unix socket', event: exec(['socat', '-', 'UNIX-CONNECT:/tmp/app.sock']) },
      { name: 'socat stdio to one host', event: exec(['socat', 'STDIO', 'TCP:registry.test:80']) },
      { name: 'one nc in a pipeline', event: sh('echo ping | nc -q1 localhost 8080') },
    ],
  });

  test('a loopback-only forward is low', () => {
    const hit = runRule(socatNcRelay, {
      event: exec(['socat', 'TCP-LISTEN:8080,fork', 'TCP:127.0.0.1:3000']),
    });
    expect(hit?.severity).toBe('low');
  });
});
