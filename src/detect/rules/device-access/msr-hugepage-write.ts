/**
 * file.msr-hugepage-write: a CPU MSR device (/dev/cpu/N/msr) was opened, or the huge page settings
 * written; the file-level twin of proc.msr-hugepage-tuning. ATT&CK T1496. Severity high.
 */
import { defineRule } from '../../rule.js';
import { writtenPath } from '../../lib/writes.js';

const MSR = /^\/dev\/cpu\/\d+\/msr$/;
const HUGEPAGES =
  /^\/proc\/sys\/vm\/nr_(overcommit_)?hugepages$|^\/sys\/kernel\/mm\/hugepages\/.*nr_(overcommit_)?hugepages$/;

export const msrHugepageWrite = defineRule({
  id: 'file.msr-hugepage-write',
  category: 'device-access',
  severity: 'high',
  attack: ['T1496'],
  reason: 'A CPU MSR device was opened or huge pages were reserved',
  kinds: ['file.access'],
  check(event) {
    const hit =
      MSR.test(event.path) || (HUGEPAGES.test(event.path) && writtenPath(event) !== undefined);
    if (!hit) return null;
    return {
      detail: `${event.op} ${event.path}${event.result === 0 ? '' : ' (failed)'}`,
      evidence: { path: event.path, op: event.op, result: event.result },
      pid: event.pid,
      exe: event.exe,
      key: event.path,
    };
  },
});
