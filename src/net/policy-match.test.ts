import { describe, expect, test } from 'vitest';
import { resolvePolicy } from '../policy/index.js';
import { decideFlow, type FlowRequest } from './policy-match.js';

const HOST_ADDRS = new Set(['10.1.2.3', '127.0.0.1']);

function net(allow: string[], deny: string[] = []) {
  return resolvePolicy({ network: { allow, deny } }).network;
}

type Row = [string, FlowRequest, string[], string[], 'allow' | 'deny', string];

const flow = (host: string | undefined, address: string, port: number, protocol: string) => ({
  host,
  address,
  port,
  protocol,
});

const rows: Row[] = [
  [
    'nothing allowed: default deny',
    flow('registry.test', '198.18.0.3', 443, 'tls'),
    [],
    [],
    'deny',
    'default-deny',
  ],
  [
    'allowed tls',
    flow('registry.test', '203.0.113.5', 443, 'tls'),
    ['registry.test:443'],
    [],
    'allow',
    'registry.test:443',
  ],
  [
    'allowed http on a range',
    flow('registry.test', '203.0.113.5', 8081, 'http'),
    ['registry.test:8000-8100'],
    [],
    'allow',
    'registry.test:8000-8100',
  ],
  [
    'port outside the range',
    flow('registry.test', '203.0.113.5', 8101, 'http'),
    ['registry.test:8000-8100'],
    [],
    'deny',
    'default-deny',
  ],
  [
    'ssh to an unpinned entry is denied',
    flow('registry.test', '203.0.113.5', 443, 'ssh'),
    ['registry.test:443'],
    [],
    'deny',
    'protocol-not-allowed:registry.test:443',
  ],
  [
    'stratum to an unpinned entry is denied',
    flow('registry.test', '203.0.113.5', 443, 'stratum'),
    ['registry.test:443'],
    [],
    'deny',
    'protocol-not-allowed:registry.test:443',
  ],
  [
    'socks5 to an unpinned entry is denied',
    flow('registry.test', '203.0.113.5', 443, 'socks5'),
    ['registry.test:443'],
    [],
    'deny',
    'protocol-not-allowed:registry.test:443',
  ],
  [
    '/tls entry admits only tls',
    flow('registry.test', '203.0.113.5', 443, 'http'),
    ['registry.test:443/tls'],
    [],
    'deny',
    'protocol-not-allowed:registry.test:443/tls',
  ],
  [
    '/tls entry admits tls',
    flow('registry.test', '203.0.113.5', 443, 'tls'),
    ['registry.test:443/tls'],
    [],
    'allow',
    'registry.test:443/tls',
  ],
  [
    '/ssh entry admits ssh',
    flow('git.test', '203.0.113.6', 22, 'ssh'),
    ['git.test:22/ssh'],
    [],
    'allow',
    'git.test:22/ssh',
  ],
  [
    '/ssh entry refuses unknown',
    flow('git.test', '203.0.113.6', 22, 'unknown'),
    ['git.test:22/ssh'],
    [],
    'deny',
    'protocol-not-allowed:git.test:22/ssh',
  ],
  [
    'glob matches a subdomain',
    flow('a.b.registry.test', '203.0.113.5', 443, 'tls'),
    ['*.registry.test:443'],
    [],
    'allow',
    '*.registry.test:443',
  ],
  [
    'glob never matches the apex',
    flow('registry.test', '203.0.113.5', 443, 'tls'),
    ['*.registry.test:443'],
    [],
    'deny',
    'default-deny',
  ],
  [
    'glob does not match a lookalike',
    flow('evilregistry.test', '203.0.113.5', 443, 'tls'),
    ['*.registry.test:443'],
    [],
    'deny',
    'default-deny',
  ],
  [
    'deny entry wins over allow',
    flow('x.registry.test', '203.0.113.5', 443, 'tls'),
    ['*.registry.test:443'],
    ['x.registry.test:443'],
    'deny',
    'x.registry.test:443',
  ],
  [
    'pinned deny entry only denies its protocol',
    flow('x.registry.test', '203.0.113.5', 443, 'tls'),
    ['*.registry.test:443'],
    ['x.registry.test:443/http'],
    'allow',
    '*.registry.test:443',
  ],
  [
    'names are case-insensitive, trailing dot ignored',
    flow('Registry.TEST.', '203.0.113.5', 443, 'tls'),
    ['registry.test:443'],
    [],
    'allow',
    'registry.test:443',
  ],
  [
    'an IP entry matches the address',
    flow(undefined, '203.0.113.9', 80, 'http'),
    ['203.0.113.9:80'],
    [],
    'allow',
    '203.0.113.9:80',
  ],
  [
    'metadata address denied',
    flow(undefined, '169.254.169.254', 80, 'http'),
    [],
    [],
    'deny',
    'builtin:metadata',
  ],
  [
    'metadata name denied even with a glob allow',
    flow('metadata.google.internal', '203.0.113.1', 80, 'http'),
    ['*.google.internal:80'],
    [],
    'deny',
    'builtin:metadata',
  ],
  [
    'metadata allowed when named explicitly',
    flow('metadata.google.internal', '203.0.113.1', 80, 'http'),
    ['metadata.google.internal:80'],
    [],
    'allow',
    'metadata.google.internal:80',
  ],
  [
    'metadata v6 denied',
    flow(undefined, 'fd00:ec2::254', 80, 'http'),
    [],
    [],
    'deny',
    'builtin:metadata',
  ],
  [
    'v4-mapped metadata denied',
    flow(undefined, '::ffff:169.254.169.254', 80, 'http'),
    [],
    [],
    'deny',
    'builtin:metadata',
  ],
  [
    'link-local denied',
    flow(undefined, '169.254.10.1', 80, 'http'),
    [],
    [],
    'deny',
    'builtin:link-local',
  ],
  [
    'v6 link-local denied',
    flow(undefined, 'fe80::1', 80, 'http'),
    [],
    [],
    'deny',
    'builtin:link-local',
  ],
  [
    'loopback denied by address',
    flow('registry.test', '127.0.0.1', 8080, 'http'),
    ['*.registry.test:8080'],
    [],
    'deny',
    'builtin:loopback',
  ],
  [
    'loopback allowed when the name is listed explicitly',
    flow('registry.test', '127.0.0.1', 8080, 'http'),
    ['registry.test:8080'],
    [],
    'allow',
    'registry.test:8080',
  ],
  [
    'explicit loopback still pinned',
    flow('registry.test', '127.0.0.1', 8080, 'ssh'),
    ['registry.test:8080'],
    [],
    'deny',
    'protocol-not-allowed:registry.test:8080',
  ],
  [
    'localhost name denied',
    flow('localhost', '198.18.0.4', 80, 'http'),
    [],
    [],
    'deny',
    'builtin:loopback',
  ],
  [
    'host address denied',
    flow(undefined, '10.1.2.3', 22, 'ssh'),
    [],
    [],
    'deny',
    'builtin:host-address',
  ],
  [
    'cordon veth range denied',
    flow(undefined, '198.19.0.1', 8080, 'http'),
    [],
    [],
    'deny',
    'builtin:cordon-veth',
  ],
  [
    'deny entry checked before an explicit builtin allow',
    flow('metadata.google.internal', '169.254.169.254', 80, 'http'),
    ['metadata.google.internal:80'],
    ['169.254.169.254:80'],
    'deny',
    '169.254.169.254:80',
  ],
];

describe('decideFlow', () => {
  test.each(rows)('%s', (_name, request, allow, deny, decision, rule) => {
    expect(decideFlow(request, net(allow, deny), { hostAddresses: HOST_ADDRS })).toEqual({
      decision,
      rule,
    });
  });

  test('uses the real interface addresses by default (loopback is always one)', () => {
    expect(decideFlow(flow(undefined, '127.0.0.1', 1, 'unknown'), net([])).decision).toBe('deny');
  });
});
