/**
 * syscall.ptrace-attach: a process attaches to another (ptrace ATTACH/SEIZE, process_vm_readv or
 * writev, `gdb -p`, `strace -p`) to read its memory or inject code. ATT&CK T1055.008, T1003.007.
 * Severity high. A debugger tracing its own child (PTRACE_TRACEME, `strace ./prog`) is not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, progName } from '../../lib/command.js';

const ATTACH_REQUESTS = new Set([
  16,
  0x4206,
  'PTRACE_ATTACH',
  'PTRACE_SEIZE',
  'attach',
  'seize',
  '16',
  '16902',
]);
const ATTACH_TOOLS = new Set(['gdb', 'strace', 'ltrace', 'gcore', 'lldb', 'pstack', 'ptrace']);

export const ptraceAttach = defineRule({
  id: 'syscall.ptrace-attach',
  category: 'escape',
  severity: 'high',
  attack: ['T1055.008', 'T1003.007'],
  reason: 'A process attached to another to read or change its memory',
  kinds: ['syscall', 'process.exec'],
  check(event, state) {
    if (event.kind === 'process.exec') {
      for (const cmd of commandsOf(event.argv)) {
        if (!ATTACH_TOOLS.has(cmd.name)) continue;
        const i = cmd.args.findIndex(
          (a) => a === '-p' || a === '--pid' || /^--pid=|^-p\d+$/.test(a),
        );
        if (i !== -1 || cmd.name === 'gcore')
          return execHit(event, `${cmd.name} attaching to a running process`, { tool: cmd.name });
      }
      return null;
    }
    const vm = event.syscall === 'process_vm_readv' || event.syscall === 'process_vm_writev';
    const attach = event.syscall === 'ptrace' && ATTACH_REQUESTS.has(event.args?.request ?? '');
    if (!vm && !attach) return null;
    const target = event.args?.targetPid ?? event.args?.pid;
    // A debugger tracing the child it started (`strace ./prog`, `gdb ./prog`) is what debugging is.
    const tracer = state.process(event.pid);
    if (
      tracer &&
      ATTACH_TOOLS.has(progName(tracer.exe)) &&
      !tracer.argv.some((a) => /^(-p|--pid)/.test(a))
    )
      return null;
    return {
      detail: `${event.syscall}${attach ? ` ${String(event.args?.request)}` : ''} on pid ${String(target ?? '?')}${event.denied ? ' (denied)' : ''}`,
      evidence: { syscall: event.syscall, target: target ?? null, denied: event.denied },
      pid: event.pid,
      exe: event.exe,
      key: `${event.syscall}:${String(target)}`,
    };
  },
});
