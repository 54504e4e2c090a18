/**
 * proc.msr-hugepage-tuning: commands that load or write CPU model-specific registers (modprobe msr,
 * wrmsr) or reserve huge pages (sysctl vm.nr_hugepages=, echo > nr_hugepages): how RandomX miners
 * tune a host for hash rate. ATT&CK T1496. Severity high. Reading the settings is not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf } from '../../lib/command.js';
import { writesOf } from '../../lib/writes.js';

const HUGEPAGES = /nr_hugepages|nr_overcommit_hugepages|\/sys\/kernel\/mm\/hugepages/;

export const msrHugepageTuning = defineRule({
  id: 'proc.msr-hugepage-tuning',
  category: 'device-access',
  severity: 'high',
  attack: ['T1496'],
  reason: 'CPU registers or huge pages were tuned, as miners do for hash rate',
  kinds: ['process.exec'],
  check(event) {
    for (const cmd of commandsOf(event.argv)) {
      if (
        (cmd.name === 'modprobe' || cmd.name === 'insmod') &&
        cmd.args.some((a) => /^msr(\.ko)?$/.test(a))
      ) {
        return execHit(event, `${cmd.name} msr`, { tuning: 'msr' });
      }
      if (cmd.name === 'wrmsr') return execHit(event, 'wrmsr', { tuning: 'msr' });
      if (cmd.name === 'sysctl' && cmd.args.some((a) => HUGEPAGES.test(a) && a.includes('='))) {
        return execHit(event, 'sysctl vm.nr_hugepages=', { tuning: 'hugepages' });
      }
    }
    const target = writesOf(event.argv).find(
      (p) => HUGEPAGES.test(p) || /\/dev\/cpu\/\d+\/msr/.test(p),
    );
    return target ? execHit(event, `writes ${target}`, { tuning: target }) : null;
  },
});
