/**
 * file.other-process-memory: another process's environment or memory is read (/proc/<pid>/environ,
 * /proc/<pid>/mem, /proc/kcore), where tokens and keys live. ATT&CK T1003.007, T1552.
 * Severity high. /proc/self and a process's own pid are not flagged, nor the system's own `ps`/`top`
 * (procps 4 opens every /proc/<pid>/environ while listing) unless asked to print environments.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandText } from '../../lib/command.js';

const PROC_SECRET = /^\/proc\/(\d+|self|thread-self)\/(task\/\d+\/)?(environ|mem)$|^\/proc\/kcore$/;
// Only the host's binaries (read-only in the sandbox): a copy renamed `ps` elsewhere still fires.
const PROCESS_LISTERS = new Set(['/usr/bin/ps', '/bin/ps', '/usr/bin/top', '/bin/top']);
const TEXT = /\/proc\/(\d+|\*|\$\{?\w+\}?|\[0-9\][^/\s]*)\/(environ|mem)\b|\/proc\/kcore\b/;

export const otherProcessMemory = defineRule({
  id: 'file.other-process-memory',
  category: 'credential-access',
  severity: 'high',
  attack: ['T1003.007', 'T1552'],
  reason: "Another process's environment or memory was read",
  kinds: ['file.access', 'process.exec'],
  check(event, state) {
    if (event.kind === 'process.exec') {
      const m = TEXT.exec(commandText(event.argv));
      if (!m || m[1] === 'self' || m[1] === String(event.pid)) return null;
      return execHit(event, `reads ${m[0]}`, { path: m[0] });
    }
    const m = PROC_SECRET.exec(event.path);
    if (!m || m[1] === 'self' || m[1] === 'thread-self' || m[1] === String(event.pid)) return null;
    if (event.exe && PROCESS_LISTERS.has(event.exe) && m[3] === 'environ') {
      const argv = state.process(event.pid)?.argv;
      // BSD-style `ps e` / `ps auxe`: a dashless option word with `e` prints the environments.
      if (argv && !argv.slice(1).some((a) => /^[a-zA-Z]*e[a-zA-Z]*$/.test(a))) return null;
    }
    return {
      detail: `read ${event.path}${event.result === 0 ? '' : ' (failed)'}`,
      evidence: { path: event.path, result: event.result },
      pid: event.pid,
      exe: event.exe,
      key: event.path,
    };
  },
});
