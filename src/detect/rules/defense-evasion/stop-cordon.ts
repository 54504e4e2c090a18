/**
 * proc.stop-cordon: an attempt to stop or signal the supervisor: `kill 1`, `kill -9 -1`,
 * `pkill cordon|bwrap|bpftrace`, or a kill syscall aimed at the sandbox's pid 1 or at every process. ATT&CK T1562.001, T1489. Severity high.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf } from '../../lib/command.js';

const CORDON = /cordon|bwrap|bubblewrap|bpftrace/i;
const KILL_SYSCALLS = new Set(['kill', 'tkill', 'tgkill', 'pidfd_send_signal', 'rt_sigqueueinfo']);

/** The pids a `kill` command line targets (the first option is the signal). */
function killTargets(args: readonly string[]): string[] {
  const out: string[] = [];
  let signalSeen = false;
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (a === '--') return [...out, ...args.slice(i + 1)];
    if (!signalSeen && out.length === 0 && a.startsWith('-')) {
      signalSeen = true;
      if (a === '-s' || a === '-n' || a === '--signal') i += 1;
      continue;
    }
    out.push(a);
  }
  return out;
}

export const stopCordon = defineRule({
  id: 'proc.stop-cordon',
  category: 'defense-evasion',
  severity: 'high',
  attack: ['T1562.001', 'T1489'],
  reason: 'Something tried to stop or signal the sandbox supervisor',
  kinds: ['process.exec', 'syscall'],
  check(event) {
    if (event.kind === 'syscall') {
      if (!KILL_SYSCALLS.has(event.syscall)) return null;
      // Pids here are the sandbox namespace's: 1 is its supervisor, -1 means every process.
      const target = Number(event.args?.targetPid ?? event.args?.pid);
      if (Number(event.args?.signal ?? 1) === 0) return null;
      if (target !== 1 && target !== -1) return null;
      return {
        detail: `${event.syscall}(${String(target)}) ${event.denied ? 'denied' : 'sent'}`,
        evidence: { syscall: event.syscall, target, denied: event.denied },
        pid: event.pid,
        exe: event.exe,
      };
    }
    for (const cmd of commandsOf(event.argv)) {
      if (cmd.name === 'kill') {
        const target = killTargets(cmd.args).find((t) => t === '1' || t === '-1');
        if (target) return execHit(event, `kill ${target}`, { target });
      }
      if (
        (cmd.name === 'pkill' || cmd.name === 'killall') &&
        cmd.args.some((a) => CORDON.test(a))
      ) {
        return execHit(event, `${cmd.name} ${cmd.args.join(' ')}`.slice(0, 120), {
          target: cmd.args.join(' '),
        });
      }
    }
    return null;
  },
});
