import { describe } from 'vitest';
import { T0, dns, ruleTable } from '../../test-kit.js';
import { dnsTunnel } from './tunnel-queries.js';

const chunk = (i: number) => `${'a'.repeat(10)}${i.toString(16).padStart(20, 'f')}.x.exfil.test`;

describe('dns.tunnel-queries', () => {
  ruleTable(dnsTunnel, {
    fires: [
      {
        name: 'scored as a tunnel',
        event: dns('aGVsbG8gd29ybGQgdGhpcyBpcyBkYXRh.exfil.test', { tunnelScore: 0.9 }),
      },
      {
        name: 'TXT tunnel score at threshold',
        event: dns('q1.t.exfil.test', { qtype: 'TXT', tunnelScore: 0.7 }),
      },
      {
        name: 'many unique long subdomains',
        given: Array.from({ length: 9 }, (_, i) =>
          dns(chunk(i), { tunnelScore: 0.4, ts: T0 + i * 100 }),
        ),
        event: dns(chunk(99), { tunnelScore: 0.4, ts: T0 + 1_000 }),
      },
    ],
    passes: [
      { name: 'ordinary name', event: dns('registry.test', { tunnelScore: 0.1 }) },
      {
        name: 'CDN-ish long name once',
        event: dns('d1234567890abcdefghij.cloudfront.test', { tunnelScore: 0.5 }),
      },
      {
        name: 'the same long name repeated',
        given: Array.from({ length: 15 }, (_, i) => dns(chunk(1), { ts: T0 + i })),
        event: dns(chunk(1), { ts: T0 + 20 }),
      },
    ],
  });
});
