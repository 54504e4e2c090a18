import { describe, expect, test } from 'vitest';
import { buildProgram, type SyscallFields, WATCH_OFFSET } from './bpftrace-program.js';
import fc from 'fast-check';
import { decodeHexBytes, ipv4, ipv6, parseLine, parsePrintf } from './bpftrace-parse.js';

describe('bpftrace output parsing', () => {
  test.each([
    ['M\t42', { t: 'sync', pid: 42 }],
    [
      // "a\tb\0\\x00\0": every byte two hex digits, a literal backslash too.
      'A\t25\t7\t1\t61 09 62 00 5c 78 30 30 00',
      {
        t: 'argv-chunk',
        cgroupId: 25,
        tid: 7,
        index: 1,
        bytes: Buffer.from('a\tb\0\\x00\0', 'latin1'),
      },
    ],
    ['A\t25\t7\t0\t', { t: 'argv-chunk', cgroupId: 25, tid: 7, index: 0, bytes: Buffer.alloc(0) }],
    [
      'E\t25\t7\t6\t1000\t7\t621\t18446623140013416448:1234\t/bin/my\ttool',
      {
        t: 'exec',
        cgroupId: 25,
        pid: 7,
        ppid: 6,
        uid: 1000,
        oldPid: 7,
        urgent: false,
        stdio: { stdin: 'socket', stdout: 'unix', stderr: 'null' },
        cwdKey: '18446623140013416448:1234',
        filename: '/bin/my\ttool',
      },
    ],
    [
      'N\t25\t8\t6\t1000\t8\t444\t1:2\t/tmp/xmrig',
      {
        t: 'exec',
        cgroupId: 25,
        pid: 8,
        ppid: 6,
        uid: 1000,
        oldPid: 8,
        urgent: true,
        stdio: { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' },
        cwdKey: '1:2',
        filename: '/tmp/xmrig',
      },
    ],
    ['X\t25\t7\t256', { t: 'exit', cgroupId: 25, pid: 7, exitCode: 256 }],
    [
      'D\t25\t7\t6\t1000\t611',
      {
        t: 'net-stdio',
        cgroupId: 25,
        pid: 7,
        ppid: 6,
        uid: 1000,
        stdio: { stdin: 'socket', stdout: 'socket', stderr: 'null' },
      },
    ],
    [
      'F\t25\t7\t1\t-2\t0\t/root/.ssh/id_rsa',
      {
        t: 'file',
        cgroupId: 25,
        pid: 7,
        op: 'open',
        result: -2,
        flags: 0,
        path: '/root/.ssh/id_rsa',
      },
    ],
    [
      'F\t25\t7\t5\t0\t0\t/x',
      { t: 'file', cgroupId: 25, pid: 7, op: 'rename', result: 0, flags: 0, path: '/x' },
    ],
    [
      'C\t25\t7\t-111\t2\t2304\t16777343\t0\t0',
      {
        t: 'connect',
        cgroupId: 25,
        pid: 7,
        result: -111,
        family: 'inet',
        port: 9,
        address: '127.0.0.1',
      },
    ],
    [
      'C\t25\t7\t-2\t1\t0\t/run/docker.sock',
      {
        t: 'connect',
        cgroupId: 25,
        pid: 7,
        result: -2,
        family: 'unix',
        port: 0,
        address: '/run/docker.sock',
      },
    ],
    [
      'S\t25\t7\tkill\t-1\t9\t0',
      { t: 'syscall', cgroupId: 25, pid: 7, name: 'kill', args: [-1, 9, 0] },
    ],
    [
      'P\t25\t7\tmemfd_create\t1\t0\tevil\tname',
      {
        t: 'syscall',
        cgroupId: 25,
        pid: 7,
        name: 'memfd_create',
        args: [1, 0],
        text: 'evil\tname',
      },
    ],
  ])('parses %j', (data, expected) => {
    expect(parsePrintf(data)).toEqual(expected);
  });

  test('rejects malformed lines without throwing', () => {
    for (const bad of [
      '',
      'Z\t1',
      'E\t1\t2',
      'E\t25\t7\t6\t1000\t7\t1:2\t/bin/true', // no stdio
      'E\t25\t7\t6\t1000\t7\t1\t2\t6\t1:2\t/bin/true', // stdio as three fields
      'E\t25\t7\t6\t1000\t7\t691\t1:2\t/bin/true', // no such stdio kind (9)
      'E\t25\t7\t6\t1000\t7\t1621\t1:2\t/bin/true', // a fourth fd
      'E\t25\t7\t6\t1000\t7\t621\t/bin/true', // no cwd key
      'E\t25\t7\t6\t1000\t7\t621\t1:\t/bin/true', // half a cwd key
      'F\t1\t2\t9\t0\t0\t/x',
      'D\t25\t7\t6\t1000', // no stdio
      'D\t25\t7\t6\t1000\t611\t1', // a field too many
      'D\t25\t7\t6\t1000\t6x1', // not hex
      'A\t25\t7\t0\tplain text', // argv comes as %rh only
      'A\t25\t7\t0\t\\x61', // %rx
      'A\t25\t7\t0\t61 6', // a byte cut short
      'A\t25\t7\t0\t61 6g',
      'A\t25\t7\t0\t61 62 ', // a space past the last byte
      'A\t25\t7\t0\t6162',
      '{not json',
      '{"type":"printf"}',
    ]) {
      expect(bad.startsWith('{') ? parseLine(bad) : parsePrintf(bad)).toBeNull();
    }
  });

  test('decodes any bytes as bpftrace prints them with %rh, and only that form', () => {
    const rh = (b: Uint8Array): string =>
      [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(decodeHexBytes(rh(bytes))).toEqual(Buffer.from(bytes));
      }),
    );
    // Any other text: null, never a throw, and never bytes unless it re-encodes to itself.
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('0', 'a', 'f', 'g', 'A', ' ', '\\', 'x') }),
        (text) => {
          const bytes = decodeHexBytes(text);
          if (bytes) expect(rh(bytes)).toBe(text);
        },
      ),
    );
  });

  test('reads JSON envelopes: printf, attached probes, lost events', () => {
    expect(parseLine('{"type": "printf", "data": "M\\t5\\n"}')).toEqual({ t: 'sync', pid: 5 });
    expect(parseLine('{"type": "attached_probes", "data": {"probes": 5}}')).toEqual({
      t: 'attached',
      probes: 5,
    });
    expect(parseLine('{"type": "lost_events", "data": {"events": 3}}')).toEqual({
      t: 'lost',
      events: 3,
    });
  });

  test('decodes raw socket address words', () => {
    expect(ipv4(0x0100007f)).toBe('127.0.0.1');
    // ::1 is fifteen zero bytes then 1: the second little-endian word holds 1 in its top byte.
    expect(ipv6('0', String(1n << 56n))).toBe('::1');
  });

  const FIELDS: SyscallFields = {
    pread64: ['fd', 'buf', 'count', 'pos'],
    openat: ['dfd', 'filename', 'flags', 'mode'],
    connect: ['fd', 'uservaddr', 'addrlen'],
    kill: ['pid', 'sig'],
  };

  test('generates one probe per syscall the kernel has, the host cgroups excluded in each', () => {
    const text = buildProgram({ excludeCgroupIds: [1, 77], controlPid: 4242, syscalls: FIELDS });
    // exec x3, exit, the marker; the control call; openat, connect and kill in; openat and connect out.
    expect(text.match(/tracepoint:/g)).toHaveLength(11);
    expect(text).not.toContain('raw_syscalls');
    expect(text).not.toMatch(/sys_enter_open\b/); // absent from this "kernel": not traced
    expect(text.match(/cgroup != 1 && cgroup != 77 && @w\[cgroup\]/g)).toHaveLength(9);
    // Arguments by the kernel's names, at the syscall's positions.
    expect(text).toContain(
      '@fp[tid] = (uint64)args->filename; @ff[tid] = (int64)args->flags; @fo[tid] = 1;',
    );
    expect(text).toContain(
      'printf("S\\t%llu\\t%d\\tkill\\t%lld\\t%lld\\t%lld\\n", cgroup, pid, (int64)(int32)args->pid, (int64)(int32)args->sig',
    );
    // Only cordon's own pread64 changes the watch map.
    expect(text).toContain('tracepoint:syscalls:sys_enter_pread64 /pid == 4242/');
    expect(text).toContain(`if (args->pos >= ${WATCH_OFFSET})`);
    expect(text).toContain('if (args->count == 1) { @w[$cg] = 1; }');
  });

  test('watches the exit of each syscall that can put a socket on stdio, by what it returns', () => {
    const text = buildProgram({
      excludeCgroupIds: [1],
      controlPid: 1,
      syscalls: { ...FIELDS, dup2: ['oldfd', 'newfd'], recvmsg: ['fd', 'msg', 'flags'] },
    });
    // A returned fd counts only when it is 0..2; received fds can land on any free one.
    expect(text).toContain(
      'tracepoint:syscalls:sys_exit_dup2 /args->ret >= 0 && args->ret <= 2 && cgroup != 1',
    );
    expect(text).toContain('tracepoint:syscalls:sys_exit_recvmsg /args->ret >= 0 && cgroup != 1');
    expect(text).not.toContain('sys_exit_dup3'); // absent from this "kernel"
    // Reported when a socket is new on fd 0..2; the exec and the exit keep @netStdio right.
    expect(text).toContain('if (($net & ~$was) != 0) {');
    expect(text.match(/@netStdio\[pid\] = \$net;/g)).toHaveLength(3); // dup2, recvmsg, the exec
    expect(text).toMatch(/printf\("X[^\n]*\n {2}delete\(@netStdio\[pid\]\);/);
  });

  test('refuses a kernel without the pread64 tracepoint (no way to watch a cgroup)', () => {
    const { pread64: _, ...rest } = FIELDS;
    expect(() => buildProgram({ excludeCgroupIds: [1], controlPid: 1, syscalls: rest })).toThrow(
      /pread64/,
    );
  });
});
