/**
 * proc.miner-name: a known cryptominer binary runs (by exe, argv[0] or inside a `sh -c` script).
 * ATT&CK T1496 (resource hijacking). Severity critical: there is no benign reason to mine in an
 * agent sandbox; renamed miners are caught by flags, stratum and CPU rules instead.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, execNames } from '../../lib/command.js';

const MINER = new RegExp(
  '^(xmrig(-notls|-proxy|-cuda)?|xmr-stak(-rx|-cpu)?|cpuminer(-opt|-multi|-gr)?|minerd|srbminer(-multi)?|t-rex|' +
    'lolminer|nbminer|gminer|ethminer|phoenixminer|nanominer|teamredminer|bzminer|wildrig(-multi)?|ccminer|' +
    'cgminer|bfgminer|sgminer|nheqminer|kawpowminer|hellminer|ethdcrminer64|excavator|xmr-node-proxy)$',
);

export function isMinerName(name: string): boolean {
  return MINER.test(name.toLowerCase());
}

export const minerName = defineRule({
  id: 'proc.miner-name',
  category: 'mining',
  severity: 'critical',
  attack: ['T1496'],
  reason: 'A known cryptocurrency miner was started',
  kinds: ['process.exec'],
  check(event) {
    const names = [...execNames(event), ...commandsOf(event.argv).map((c) => c.name)];
    const miner = names.find(isMinerName);
    return miner ? execHit(event, `miner ${miner} started`, { miner }) : null;
  },
});
