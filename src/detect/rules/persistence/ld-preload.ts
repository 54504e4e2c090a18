/**
 * persist.ld-preload: /etc/ld.so.preload is written (or a write attempted), injecting a library
 * into every program started afterwards: a rootkit's favourite hook. ATT&CK T1574.006.
 * Severity critical.
 */
import { defineRule } from '../../rule.js';
import { writeHit } from '../../lib/writes.js';

export const ldPreload = defineRule({
  id: 'persist.ld-preload',
  category: 'persistence',
  severity: 'critical',
  attack: ['T1574.006'],
  reason: 'The system-wide preload list was written',
  kinds: ['process.exec', 'file.access'],
  check(event) {
    return writeHit(event, (p) => p === '/etc/ld.so.preload');
  },
});
