import { describe } from 'vitest';
import { exec, syscall, ruleTable } from '../../test-kit.js';
import { ptraceAttach } from './ptrace-attach.js';

describe('syscall.ptrace-attach', () => {
  ruleTable(ptraceAttach, {
    fires: [
      {
        name: 'PTRACE_ATTACH',
        event: syscall('ptrace', {
          denied: false,
          exe: '/tmp/x',
          args: { request: 16, targetPid: 12 },
        }),
      },
      {
        name: 'PTRACE_SEIZE',
        event: syscall('ptrace', { denied: false, args: { request: 0x4206, targetPid: 12 } }),
      },
      { name: 'process_vm_readv', event: syscall('process_vm_readv', { denied: true }) },
      { name: 'gdb -p', event: exec(['gdb', '-p', '1234', '-batch', '-ex', 'dump memory']) },
      { name: 'strace -p', event: exec(['strace', '-f', '-p', '1']) },
      {
        name: 'strace attaching by pid',
        given: [exec(['strace', '-p', '1'], { pid: 100, exe: '/usr/bin/strace' })],
        event: syscall('ptrace', {
          pid: 100,
          denied: false,
          args: { request: 0x4206, targetPid: 1 },
        }),
      },
    ],
    passes: [
      {
        name: 'PTRACE_TRACEME',
        event: syscall('ptrace', { denied: false, args: { request: 0, targetPid: 0 } }),
      },
      {
        name: 'strace running its own child',
        given: [exec(['strace', '-f', './prog'], { pid: 100, exe: '/usr/bin/strace' })],
        event: syscall('ptrace', {
          pid: 100,
          denied: false,
          args: { request: 0x4206, targetPid: 101 },
        }),
      },
      { name: 'gdb on a binary', event: exec(['gdb', '--batch', './a.out']) },
    ],
  });
});
