/**
 * syscall.escape-syscall: syscalls that change namespaces, mounts or the kernel (mount, umount2,
 * unshare, setns, pivot_root, open_by_handle_at, init_module, kexec_load, bpf, perf_event_open).
 * seccomp denies them; the attempt is still the finding. ATT&CK T1611, T1547.006. Severity high.
 */
import { defineRule } from '../../rule.js';

const ESCAPE_SYSCALLS = new Set([
  'mount',
  'umount',
  'umount2',
  'unshare',
  'setns',
  'pivot_root',
  'chroot',
  'open_by_handle_at',
  'name_to_handle_at',
  'init_module',
  'finit_module',
  'delete_module',
  'kexec_load',
  'kexec_file_load',
  'bpf',
  'fsopen',
  'fsmount',
  'move_mount',
  'open_tree',
  'mount_setattr',
  'userfaultfd',
  'iopl',
  'ioperm',
  'swapon',
  'reboot',
]);

export const escapeSyscall = defineRule({
  id: 'syscall.escape-syscall',
  category: 'escape',
  severity: 'high',
  attack: ['T1611', 'T1547.006'],
  reason: 'A namespace, mount or kernel syscall was attempted',
  kinds: ['syscall'],
  check(event) {
    if (!ESCAPE_SYSCALLS.has(event.syscall)) return null;
    return {
      detail: `${event.syscall}() ${event.denied ? 'denied by seccomp' : 'called'}`,
      evidence: {
        syscall: event.syscall,
        denied: event.denied,
        ...(event.args ? { args: event.args } : {}),
      },
      pid: event.pid,
      exe: event.exe,
      key: event.syscall,
    };
  },
});
