/**
 * proc.shell-spawned-by-networked-process: a shell reading commands (no `-c` script) is started by a
 * process, or its parent, that opened a network flow: an interpreter or netcat handing its socket to
 * a shell even without dup2 or tell-tale arguments. ATT&CK T1059.004, T1059.006. Severity high.
 * `sh -c` scripts spawned by pip or npm after a download are not flagged.
 */
import { defineRule } from '../../rule.js';
import type { ProcInfo, ReadonlyState } from '../../state.js';
import { isShell, progName, shellScript, unwrap } from '../../lib/command.js';

function isCommandShell(p: { exe: string; argv: readonly string[] }): boolean {
  const cmd = unwrap(p.argv);
  const name = cmd?.name ?? progName(p.exe);
  if (!isShell(name) && !isShell(progName(p.exe))) return false;
  return (
    shellScript(name, cmd?.args ?? []) === undefined &&
    !(cmd?.args ?? []).some((a) => !a.startsWith('-'))
  );
}

function networkedAncestor(state: ReadonlyState, pid: number): ProcInfo | undefined {
  return state.ancestors(pid, 2).find((a) => state.networkOf(a.pid) !== undefined);
}

export const networkedParent = defineRule({
  id: 'proc.shell-spawned-by-networked-process',
  category: 'reverse-shell',
  severity: 'high',
  attack: ['T1059.004', 'T1059.006'],
  reason: 'A command shell was started by a process holding a network connection',
  kinds: ['process.exec', 'net.flow', 'syscall'],
  check(event, state) {
    if (event.kind === 'process.exec') {
      if (!isCommandShell(event)) return null;
      const parent = networkedAncestor(state, event.pid);
      if (!parent) return null;
      const net = state.networkOf(parent.pid)!;
      return {
        detail: `${progName(event.exe)} started by ${progName(parent.exe)} (pid ${parent.pid}) connected to ${net.destination}`,
        evidence: { parentPid: parent.pid, parentExe: parent.exe, destination: net.destination },
        pid: parent.pid,
        exe: parent.exe,
        argv: [...parent.argv],
        key: String(parent.pid),
        eventIds: [net.eventId],
      };
    }
    if (event.pid === undefined || (event.kind === 'syscall' && event.syscall !== 'connect'))
      return null;
    const net = state.networkOf(event.pid);
    const proc = state.process(event.pid);
    const shellChild = proc?.children
      .map((c) => state.process(c))
      .find((c) => c && c.exitTs === undefined && isCommandShell(c));
    if (!proc || !shellChild || !net) return null;
    return {
      detail: `${progName(proc.exe)} (pid ${proc.pid}) connected to ${net.destination} and runs ${progName(shellChild.exe)}`,
      evidence: { shellPid: shellChild.pid, destination: net.destination },
      pid: proc.pid,
      exe: proc.exe,
      argv: [...proc.argv],
      key: String(proc.pid),
    };
  },
});
