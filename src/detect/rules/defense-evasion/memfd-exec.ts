/**
 * proc.memfd-exec: a program runs from memory (exe `memfd:...`, `/proc/self/fd/N`, `/dev/fd/N`, or a
 * deleted file, or execveat on a bare fd), leaving nothing on disk to inspect. ATT&CK T1620, T1027.
 * Severity high. memfd_create alone is not flagged (browsers and runtimes use it for memory).
 */
import { defineRule, execHit } from '../../rule.js';

const FROM_MEMORY = /^\/?memfd:|^\/proc\/(self|\d+)\/fd\/\d+$|^\/dev\/fd\/\d+$|\(deleted\)$/;

export const memfdExec = defineRule({
  id: 'proc.memfd-exec',
  category: 'defense-evasion',
  severity: 'high',
  attack: ['T1620', 'T1027'],
  reason: 'A program was executed from memory or a deleted file',
  kinds: ['process.exec', 'syscall'],
  check(event) {
    if (event.kind === 'syscall') {
      // execveat(fd, "", AT_EMPTY_PATH): run the file behind a descriptor, typically a memfd.
      if (event.syscall !== 'execveat' || (event.args?.path ?? '') !== '') return null;
      return {
        detail: 'execveat on a file descriptor',
        evidence: { syscall: 'execveat', args: event.args ?? {} },
        pid: event.pid,
        exe: event.exe,
        key: 'execveat',
      };
    }
    return FROM_MEMORY.test(event.exe)
      ? execHit(event, `executed from memory: ${event.exe}`, { exe: event.exe })
      : null;
  },
});
