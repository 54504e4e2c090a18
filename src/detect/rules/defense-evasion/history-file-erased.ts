/**
 * file.history-file-erased: a history file is deleted or truncated, or a log under /var/log opened
 * for writing, by something other than the shell that owns it. The file-level twin of
 * proc.history-log-wiping. ATT&CK T1070.003, T1070.002. Severity medium.
 */
import { defineRule } from '../../rule.js';
import { isShell, progName } from '../../lib/command.js';

const HISTORY_FILE = /\/\.(bash|zsh|sh|python|mysql|psql|node_repl)_?history$/;
const O_TRUNC = 0o1000;

export const historyFileErased = defineRule({
  id: 'file.history-file-erased',
  category: 'defense-evasion',
  severity: 'medium',
  attack: ['T1070.003', 'T1070.002'],
  reason: 'A history or log file was deleted or truncated',
  kinds: ['file.access'],
  check(event) {
    const truncates =
      (event.op === 'open' || event.op === 'write') &&
      event.flags !== undefined &&
      (event.flags & O_TRUNC) !== 0;
    const erases = event.op === 'unlink' || truncates;
    const history =
      HISTORY_FILE.test(event.path) && erases && !(event.exe && isShell(progName(event.exe)));
    const log = /^\/var\/log\//.test(event.path) && (erases || event.op === 'write');
    if (!history && !log) return null;
    return {
      detail: `${event.op === 'unlink' ? 'deleted' : 'truncated'} ${event.path}`,
      evidence: { path: event.path, op: event.op, result: event.result },
      pid: event.pid,
      exe: event.exe,
      key: event.path,
    };
  },
});
