import { expect, test } from 'vitest';
import { originalDstFromConntrack } from './conntrack.js';

const TABLE = [
  'ipv4     2 udp      17 29 src=198.19.0.30 dst=198.18.0.9 sport=43699 dport=53 src=198.19.0.29 dst=198.19.0.30 sport=5353 dport=43699 mark=0 zone=0 use=2',
  'ipv4     2 tcp      6 119 TIME_WAIT src=198.19.0.30 dst=198.18.0.3 sport=60028 dport=53 src=198.19.0.29 dst=198.19.0.30 sport=8888 dport=60028 [ASSURED] mark=0 zone=0 use=2',
].join('\n');

test('finds the resolver a redirected query was sent to, by transport and source port', () => {
  expect(originalDstFromConntrack(TABLE, 'udp', '198.19.0.30', 43699)).toBe('198.18.0.9:53');
  expect(originalDstFromConntrack(TABLE, 'tcp', '198.19.0.30', 60028)).toBe('198.18.0.3:53');
  expect(originalDstFromConntrack(TABLE, 'udp', '198.19.0.30', 60028)).toBeUndefined();
  expect(originalDstFromConntrack(TABLE, 'udp', '198.19.0.3', 43699)).toBeUndefined();
});
