import { describe, expect, test } from 'vitest';
import { parseDropSets, sandboxRulesScript } from './nft.js';

describe('sandboxRulesScript', () => {
  const script = sandboxRulesScript('42', 'cdn42', { proxy: 4000, dnsUdp: 5300, dnsTcp: 5301 });

  test('redirects DNS to cordon DNS and all other TCP to the proxy, keyed by the veth', () => {
    expect(script).toContain('udp dport 53 redirect to :5300');
    expect(script).toContain('tcp dport 53 redirect to :5301');
    expect(script).toContain('meta l4proto tcp redirect to :4000');
    expect(script).toContain('add element ip cordon nat_dispatch { "cdn42" : jump nat_42 }');
  });

  test('records and drops everything else, counted per sandbox', () => {
    expect(script).toMatch(
      /add @drops_42 \{ ip daddr \. meta l4proto \. th dport \} counter name drop_42 drop/,
    );
    expect(script).toMatch(
      /add @drops_42 \{ ip daddr \. meta l4proto \. 0 \} counter name drop_42 drop/,
    );
  });
});

describe('parseDropSets', () => {
  test('reads plain and counter-carrying elements per set; ICMP has no port', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        {
          set: {
            name: 'drops_7',
            elem: [
              { concat: ['198.18.0.5', 'udp', 9999] },
              { elem: { val: { concat: ['198.18.0.7', 'icmp', 0] }, counter: { packets: 1 } } },
            ],
          },
        },
        { set: { name: 'drops_8' } },
        { set: { name: 'service_ports', elem: [4000] } },
      ],
    });
    const sets = parseDropSets(json);
    expect(sets.get('7')).toEqual([
      { address: '198.18.0.5', protocol: 'udp', port: 9999 },
      { address: '198.18.0.7', protocol: 'icmp' },
    ]);
    expect(sets.get('8')).toEqual([]);
    expect(sets.has('service_ports')).toBe(false);
  });

  test('never throws on garbage', () => {
    expect(parseDropSets('not json').size).toBe(0);
    expect(
      parseDropSets(
        '{"nftables": [{"set": {"name": "drops_1", "elem": [1, {"concat": "x"}]}}]}',
      ).get('1'),
    ).toEqual([]);
  });
});
