import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { describe, expect, test, vi } from 'vitest';
import { EventBus, type CordonEvent } from '../events/index.js';
import { BpfEventTranslator, callerArgv } from './bpf-events.js';
import type { BpfRecord } from './bpftrace-parse.js';
import { readCwdOfInode, splitArgv } from './proc-facts.js';
import { WatchRegistry } from './watch-registry.js';

describe('argv of a #! script', () => {
  test.each([
    [['/bin/sh', '/tmp/x.sh', 'a'], '/tmp/x.sh', ['/tmp/x.sh', 'a']],
    [['/usr/bin/env', 'python3', './x.py'], './x.py', ['./x.py']],
    [
      ['/bin/sh', '-e', '/tmp/.cache/kworker', '-o', 'pool'],
      '/tmp/.cache/kworker',
      ['/tmp/.cache/kworker', '-o', 'pool'],
    ],
  ])("%j run as %s is the caller's", (kernel, filename, expected) => {
    expect(callerArgv(kernel, filename)).toEqual(expected);
  });

  test.each([
    [['true', 'x'], '/bin/true'],
    // A program given its own path: not a script (argv[0] names the program).
    [['cat', '/usr/bin/cat'], '/usr/bin/cat'],
    [[], '/bin/true'],
  ])('%j of %s is left as it is', (kernel, filename) => {
    expect(callerArgv(kernel, filename)).toEqual(kernel);
  });
});

describe('argv area', () => {
  test.each([
    ['ls\0-la\0', ['ls', '-la']],
    ['a\0\0b\0', ['a', '', 'b']], // an empty argument stays
    ['\0', ['']],
    ['', []],
    ['sh\0-c\0echo a\tb\\x00\0', ['sh', '-c', 'echo a\tb\\x00']],
    ['xmrig\0--url=stratum+tc', ['xmrig', '--url=stratum+tc']], // cut short: the last one cut
    ['caf\xc3\xa9\0', ['café']],
  ])('%j', (area, expected) => {
    expect(splitArgv(Buffer.from(area, 'latin1'))).toEqual(expected);
  });
});

/** A translator for cgroup 9 (sandbox `sb`), and the events it publishes. */
function watchedTranslator(): { translator: BpfEventTranslator; events: CordonEvent[] } {
  const bus = new EventBus();
  const events: CordonEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const registry = new WatchRegistry();
  registry.add({ sandboxId: 'sb', cgroupId: 9, attribution: () => ({ sandboxId: 'sb' }) });
  return { translator: new BpfEventTranslator(bus, registry), events };
}

describe("an exec's working directory", () => {
  const cwdIno = String(statSync('.', { bigint: true }).ino);
  // No such process: pid_max is at most 2^22.
  const gonePid = 2 ** 22 + 7;

  test('is read from a process whose cwd is still that inode, and only then', () => {
    expect(readCwdOfInode(process.pid, cwdIno)).toBe(process.cwd());
    expect(readCwdOfInode(process.pid, `${cwdIno}0`)).toBeUndefined();
    expect(readCwdOfInode(gonePid, cwdIno)).toBeUndefined();
  });

  test('learnt once per directory, names execs of processes already gone, for a second', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const { translator, events: execs } = watchedTranslator();
      const exec = (pid: number, cwdKey: string, ppid = gonePid + 1): string | undefined => {
        const rec: BpfRecord = {
          t: 'exec',
          cgroupId: 9,
          pid,
          ppid,
          uid: 0,
          oldPid: pid,
          urgent: false,
          stdio: { stdin: 'null', stdout: 'null', stderr: 'null' },
          cwdKey,
          filename: '/bin/true',
        };
        translator.handle(rec);
        const last = execs.at(-1);
        return last?.kind === 'process.exec' ? last.cwd : 'no event';
      };
      const here = `123:${cwdIno}`;
      expect(exec(gonePid, here)).toBeUndefined(); // not learnt yet, and nobody to ask
      expect(exec(process.pid, here)).toBe(process.cwd());
      expect(exec(gonePid, here)).toBe(process.cwd());
      // Another dentry with this inode is another key: learnt on its own.
      expect(exec(gonePid, `124:${cwdIno}`)).toBeUndefined();
      vi.advanceTimersByTime(1001);
      expect(exec(gonePid, here)).toBeUndefined();
      // A gone process whose parent is still in that directory: the parent names it.
      expect(exec(gonePid, `125:${cwdIno}`, process.pid)).toBe(process.cwd());
      expect(exec(gonePid, `126:${cwdIno}0`, process.pid)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a network socket put on stdio after exec', () => {
  test("names the image whose exec was seen, or its parent's for a forked child, not what /proc says now", () => {
    const { translator, events } = watchedTranslator();
    const stdio = { stdin: 'socket', stdout: 'pipe', stderr: 'null' } as const;
    // This test's own pid: /proc would name node, but the exec seen last was python's.
    const pid = process.pid;
    translator.handle({
      t: 'argv-chunk',
      cgroupId: 9,
      tid: pid,
      index: 0,
      bytes: Buffer.from('python3\0-c\0import socket\0'),
    });
    translator.handle({
      t: 'exec',
      cgroupId: 9,
      pid,
      ppid: 1,
      uid: 0,
      oldPid: pid,
      urgent: false,
      stdio: { stdin: 'null', stdout: 'pipe', stderr: 'null' },
      cwdKey: '1:1',
      filename: '/usr/bin/python3',
    });
    translator.handle({ t: 'net-stdio', cgroupId: 9, pid, ppid: 1, uid: 0, stdio });
    const forked = 2 ** 22 + 1; // above any pid_max: no /proc entry
    translator.handle({ t: 'net-stdio', cgroupId: 9, pid: forked, ppid: pid, uid: 0, stdio });
    const turns = events.filter((e) => e.kind === 'process.exec').slice(1);
    expect(turns).toEqual([
      expect.objectContaining({
        pid,
        exe: '/usr/bin/python3',
        argv: ['python3', '-c', 'import socket'],
        stdio,
      }),
      expect.objectContaining({
        pid: forked,
        exe: '/usr/bin/python3',
        argv: ['python3', '-c', 'import socket'],
        stdio,
      }),
    ]);
  });

  test("is published as the exec it amounts to: the kernel's stdio, argv from /proc when no exec was seen", () => {
    const { translator, events } = watchedTranslator();
    const stdio = { stdin: 'socket', stdout: 'socket', stderr: 'pipe' } as const;
    const turn = (pid: number): Extract<BpfRecord, { t: 'net-stdio' }> => ({
      t: 'net-stdio',
      cgroupId: 9,
      pid,
      ppid: 1,
      uid: 0,
      stdio,
    });
    translator.handle(turn(process.pid)); // this test's own process stands in for the shell
    translator.handle({ ...turn(process.pid), cgroupId: 10 }); // not a watched cgroup
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'process.exec',
        sandboxId: 'sb',
        pid: process.pid,
        exe: readlinkSync('/proc/self/exe'),
        argv: splitArgv(readFileSync('/proc/self/cmdline')),
        source: 'ebpf',
        stdio,
        cwd: process.cwd(),
      }),
    ]);
  });
});
