/**
 * proc.argv0-masquerade: a process names itself like a kernel thread (`[kworker/0:1]`) or a system
 * daemon it is not (argv[0] `sshd` for an exe in /tmp), the way miners hide in `ps`.
 * ATT&CK T1036.004, T1036.005. Severity high. Symlinked tools (sh -> dash, python3 -> python3.11)
 * and busybox applets are not flagged; any other argv[0] the monitor found mismatched is low.
 */
import { defineRule, execHit } from '../../rule.js';
import { basename, progName } from '../../lib/command.js';

const KTHREAD =
  /^\[[^\]]+\]$|^(kworker|kthreadd|ksoftirqd|kswapd\d*|migration|rcu_\w+|watchdog|jbd2|kcompactd\d*)([/:].*)?$/;
const DAEMONS = new Set([
  'sshd',
  'systemd',
  'init',
  'cron',
  'crond',
  'dbus-daemon',
  'rsyslogd',
  'systemd-journald',
  'containerd',
  'dockerd',
  'kubelet',
  'agetty',
  'udevd',
  'systemd-udevd',
  'polkitd',
  'atd',
  'snapd',
]);

export const argv0Masquerade = defineRule({
  id: 'proc.argv0-masquerade',
  category: 'defense-evasion',
  severity: 'high',
  attack: ['T1036.004', 'T1036.005'],
  reason: 'A process disguises itself as a kernel thread or a system daemon',
  kinds: ['process.exec'],
  check(event) {
    const argv0 = event.argv[0] ?? '';
    const exeName = progName(event.exe);
    if (exeName === 'busybox' || exeName === '') return null;
    if (KTHREAD.test(argv0) || KTHREAD.test(basename(event.exe))) {
      return execHit(event, `${event.exe} runs as "${argv0}"`, { argv0, exe: event.exe });
    }
    const name = progName(argv0);
    if (
      DAEMONS.has(name) &&
      !exeName.startsWith(name) &&
      !exeName.startsWith(name.replace(/d$/, ''))
    ) {
      return execHit(event, `${event.exe} poses as ${name}`, { argv0, exe: event.exe });
    }
    // The monitor resolved argv[0] and found another program: worth a line, not a verdict.
    if (event.argv0Mismatch === true) {
      return execHit(
        event,
        `${event.exe} runs as "${argv0}"`,
        { argv0, exe: event.exe },
        { severity: 'low' },
      );
    }
    return null;
  },
});
