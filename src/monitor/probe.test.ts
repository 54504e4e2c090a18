import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseFormatFields, readSyscallFields } from './probe.js';

const header = `name: sys_enter_openat
ID: 640
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
`;

describe('syscall tracepoint formats', () => {
  test('names the arguments in order, pointer and const-pointer types included', () => {
    const format = `${header}\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
\tfield:const char *const * argv;\toffset:32;\tsize:8;\tsigned:0;
\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;

print fmt: "dfd: 0x%08lx, filename: 0x%08lx", ((unsigned long)(REC->dfd))`;
    expect(parseFormatFields(format)).toEqual(['dfd', 'filename', 'argv', 'mode']);
  });

  test('places arguments by offset and leaves out fields that are not argument slots', () => {
    const format = `${header}\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:__data_loc char[] filename_str;\toffset:32;\tsize:4;\tsigned:0;`;
    expect(parseFormatFields(format)).toEqual(['dfd', 'filename']);
  });

  test('a missing argument slot yields no names, so no argument is read at the wrong position', () => {
    const format = `${header}\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;`;
    expect(parseFormatFields(format)).toEqual([]);
  });

  test('a syscall without arguments has none; garbage has none', () => {
    expect(parseFormatFields(header)).toEqual([]);
    expect(parseFormatFields('not a format\n\0\xff')).toEqual([]);
  });

  const tracefs = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'].find((d) =>
    existsSync(`${d}/events/syscalls/sys_enter_openat/format`),
  );
  test.skipIf(!tracefs)("reads this kernel's tracepoints (skipped without tracefs)", () => {
    const fields = readSyscallFields(tracefs!);
    expect(fields.openat).toEqual(['dfd', 'filename', 'flags', 'mode']);
    expect(fields.pread64).toHaveLength(4);
    expect(fields.kill).toEqual(['pid', 'sig']);
  });
});
