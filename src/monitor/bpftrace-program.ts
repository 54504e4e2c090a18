/**
 * The bpftrace program the monitor runs, generated as text. Owns the wire format between the kernel
 * side and `bpftrace-parse.ts`: one printf per event, tab-separated, the single user-controlled
 * string always last so that tabs inside it cannot shift the fields.
 *
 *   M pid                                   sync marker (an exec of the marker program, any cgroup)
 *   A cg tid idx hex                        chunk idx of a successful exec's argv area (tid: oldPid):
 *                                           up to ARGV_CHUNK bytes, each as \xNN
 *   E cg pid ppid uid oldPid s0 s1 s2 filename
 *                                           exec done (sched_process_exec); s0..s2: what fds 0..2
 *                                           are (STDIO_KINDS), read from the new image's fd table
 *   N (as E)                                the same, for an exec that must be seen at once
 *                                           (URGENT_TAGS): an image from outside the host's
 *                                           software trees, or stdio on a network socket
 *   X cg pid exitCode                       a whole process exited (group_dead)
 *   F cg pid op ret flags path              file op at syscall exit (op: FILE_OPS; 5 = rename's new name)
 *   C cg pid ret 1 0 path                   connect to a unix socket, at syscall exit
 *   C cg pid ret fam portBE v4 v6hi v6lo    connect (inet 2, inet6 10): raw words, decoded in user space
 *   S cg pid name a1 a2 a3                  syscall with numeric arguments
 *   P cg pid name a1 a2 str                 syscall with one string argument
 *
 * Syscalls are traced through the two raw_syscalls tracepoints rather than one tracepoint each:
 * bpftrace 0.17 spends about 0.2 s per probe compiling and attaching, so 40 probes took 8 s to
 * start on a loaded 2-core host, 7 probes take about 2 s.
 *
 * Cost: these probes run on every syscall of the host, so the common case must stay a few
 * compares. Only cgroups in the kernel map `@w` are traced: cordon adds and removes them with a
 * control call the program recognises (`WATCH_OFFSET`), so other processes, other cordon
 * instances' sandboxes and unwatched cgroups never reach user space. Syscall ids are compared
 * before any map lookup. Read-only opens of the host's software trees are dropped in the kernel
 * (`droppedInKernel`): a C compiler makes thousands per build.
 */

import { isSoftwareTreePath } from './sensitive-paths.js';

export const SYNC_COMM = 'cordon-sync';

/**
 * Lines the native reader hands to JS at once (see line-reader.ts); the others may wait a little.
 * Urgent: sync markers, execs from outside the host's software or with a socket on stdio (a
 * dropped or renamed miner, a reverse shell), connects and the rare syscalls. Routine: what a
 * build makes by the hundred (argv chunks, execs of host programs, exits, file operations).
 */
export const URGENT_TAGS = 'MNCSP';

/**
 * An exec is routine (`E`) when its file name starts with one of these and has no `/.` in it, and
 * no network socket is on its stdio; any other exec is urgent (`N`). These trees are bound
 * read-only into every sandbox. At most 8 bytes each: they are compared as one word.
 */
export const HOST_SOFTWARE_PREFIXES = ['/usr/', '/bin/', '/sbin/', '/lib'] as const;

/** File op codes on `F` lines; 5 is the new name of a rename. */
export const FILE_OPS = { open: 1, unlink: 2, rename: 3, chmod: 4 } as const;
export const FILE_OP_NAMES: Record<number, 'open' | 'unlink' | 'rename' | 'chmod'> = {
  1: 'open',
  2: 'unlink',
  3: 'rename',
  4: 'chmod',
  5: 'rename',
};

type SyscallName =
  | 'execve'
  | 'execveat'
  | 'open'
  | 'openat'
  | 'openat2'
  | 'unlink'
  | 'unlinkat'
  | 'rename'
  | 'renameat'
  | 'renameat2'
  | 'chmod'
  | 'fchmod'
  | 'fchmodat'
  | 'fchmodat2'
  | 'connect'
  | 'ptrace'
  | 'unshare'
  | 'setns'
  | 'kill'
  | 'tkill'
  | 'tgkill'
  | 'bpf'
  | 'mount'
  | 'memfd_create'
  | 'pread64';

/** Syscall numbers per architecture (arm64 has no legacy open/unlink/rename/chmod). */
const SYSCALLS: Record<string, Partial<Record<SyscallName, number>>> = {
  x64: {
    execve: 59,
    execveat: 322,
    open: 2,
    openat: 257,
    openat2: 437,
    unlink: 87,
    unlinkat: 263,
    rename: 82,
    renameat: 264,
    renameat2: 316,
    chmod: 90,
    fchmod: 91,
    fchmodat: 268,
    fchmodat2: 452,
    connect: 42,
    ptrace: 101,
    unshare: 272,
    setns: 308,
    kill: 62,
    tkill: 200,
    tgkill: 234,
    bpf: 321,
    mount: 165,
    memfd_create: 319,
    pread64: 17,
  },
  arm64: {
    execve: 221,
    execveat: 281,
    openat: 56,
    openat2: 437,
    unlinkat: 35,
    renameat: 38,
    renameat2: 276,
    fchmod: 52,
    fchmodat: 53,
    fchmodat2: 452,
    connect: 203,
    ptrace: 117,
    unshare: 97,
    setns: 268,
    kill: 129,
    tkill: 130,
    tgkill: 131,
    bpf: 280,
    mount: 40,
    memfd_create: 279,
    pread64: 67,
  },
};

export interface ProgramOptions {
  /** v2 cgroup ids whose events are dropped in the kernel (the host root and cordon's own). */
  excludeCgroupIds: readonly number[];
  /** The cordon process (tgid) allowed to add and remove watched cgroups (see `watchControl`). */
  controlPid: number;
  /** `process.arch` of the host (default: this process's). */
  arch?: string;
}

export function supportedArch(arch: string = process.arch): boolean {
  return arch in SYSCALLS;
}

/**
 * The control call: cordon issues `pread64(fd of /dev/null, buf, count, WATCH_OFFSET + cgroupId)`
 * and the program, seeing it at syscall entry from `controlPid`, adds (count 1) or removes
 * (count 2) the cgroup in `@w` before the call returns. No user-space path into a bpftrace map
 * exists, and this costs one syscall instead of a process spawn; offsets from 2^62 up are never
 * read by anything real.
 */
export const WATCH_OFFSET = 1n << 62n;
export const WATCH_COUNT = { add: 1, remove: 2 } as const;

/**
 * What an exec's fds 0..2 are, as the program codes them on `E` lines. Read in the kernel at exec:
 * a short-lived process is gone before /proc could be asked, and a reverse shell's socket is
 * told from a unix one by the socket's family, not by a lookup in /proc/net/unix.
 */
export const STDIO_KINDS = ['none', 'socket', 'unix', 'tty', 'pipe', 'file', 'null'] as const;

/**
 * BPF statements that set `$k` to the STDIO_KINDS index of fd `fd` of the current task. Character
 * devices: /dev/null is (1, 3); terminals are pts (majors 136-143), tty (4) and /dev/tty or
 * /dev/console (5, minors 0-1). The kernel's dev_t keeps the major above bit 20.
 */
function stdioKind(fd: number): string {
  return `  $f = *(struct file **)((uint64)curtask->files->fdt->fd + ${fd * 8});
  $k${fd} = (uint64)0;
  if ($f != 0) {
    $m = $f->f_inode->i_mode & 0xf000;
    $k${fd} = 5;
    if ($m == 0xc000) {
      $k${fd} = ((struct socket *)$f->private_data)->sk->__sk_common.skc_family == 1 ? 2 : 1;
    } else if ($m == 0x1000) {
      $k${fd} = 4;
    } else if ($m == 0x2000) {
      $maj = $f->f_inode->i_rdev >> 20;
      $min = $f->f_inode->i_rdev & 0xfffff;
      if ($maj == 1 && $min == 3) { $k${fd} = 6; }
      else if (($maj >= 136 && $maj <= 143) || $maj == 4 || ($maj == 5 && $min <= 1)) { $k${fd} = 3; }
    }
  }`;
}

/**
 * An exec's argv is sent as its argument area (`mm->arg_start..arg_end`, the NUL-terminated
 * strings /proc/<pid>/cmdline shows) in chunks of this many bytes: a compiler's argv of 9 to 30
 * elements fits one or two chunks, where one printf per element made two thirds of a build's
 * lines. bpftrace's `%rx` prints every byte as `\xNN`, so NULs, tabs and backslashes inside
 * arguments cannot be mistaken for each other.
 */
export const ARGV_CHUNK = 200;
/** BPFTRACE_STRLEN: the longest string (path, argument) and buffer a printf carries. */
export const BPFTRACE_STRLEN = ARGV_CHUNK;
/** Chunks sent per exec: the first 4,000 bytes of argv (the rest is left out). */
const MAX_ARGV_CHUNKS = 20;

/** Write flags that make an open a write (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC). */
export const WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000;

/**
 * True when the program drops this file record in the kernel: a read-only open of a path
 * `isSoftwareTreePath` accepts, which `matchSensitive` never reports. Mirrors the program's test.
 */
export function droppedInKernel(op: number, flags: number, path: string): boolean {
  return op === FILE_OPS.open && (flags & WRITE_FLAGS) === 0 && isSoftwareTreePath(path);
}

/** The first (up to 8) bytes of `text` as a little-endian u64, in hex. */
function wordOf(text: string): string {
  const bytes = Buffer.alloc(8);
  bytes.write(text, 'latin1');
  return `0x${bytes.readBigUInt64LE().toString(16)}`;
}

const a = (i: number): string => `args->args[${i}]`;
const i32 = (i: number): string => `(int32)args->args[${i}]`;
const ustr = (expr: string): string => `str(uptr(${expr}))`;

/** Builds the program text for this host's architecture. */
export function buildProgram(options: ProgramOptions): string {
  const nr = SYSCALLS[options.arch ?? process.arch];
  if (!nr) throw new Error(`no syscall table for ${options.arch ?? process.arch}`);
  const ids = options.excludeCgroupIds.length > 0 ? options.excludeCgroupIds : [1];
  // Cheap compares first: host processes stop at the cgroup test, other syscalls at the id test,
  // before the map lookup. Syscall ids are tested in the body: the verifier rejects the ctx
  // access LLVM makes of repeated `args->id` in a predicate.
  const notHost = ids.map((id) => `cgroup != ${id}`).join(' && ');
  const watched = `${notHost} && @w[cgroup]`;
  const idTest = (names: SyscallName[], v = 'args->id'): string =>
    names
      .map((n) => nr[n])
      .filter((n): n is number => n !== undefined)
      .map((n) => `${v} == ${n}`)
      .join(' || ');
  const cases: string[] = [];
  const entryNames: SyscallName[] = [];
  const on = (names: SyscallName[], body: string): void => {
    const test = idTest(names, '$id');
    entryNames.push(...names);
    if (test) cases.push(`(${test}) {\n${body}\n  }`);
  };
  const file = (op: keyof typeof FILE_OPS, path: string, flags: string): string =>
    `    @fp[tid] = ${path}; @ff[tid] = (int64)${flags}; @fo[tid] = ${FILE_OPS[op]};`;
  // Mirrors droppedInKernel(). The prefixes are compared as little-endian words (one read);
  // the path is copied only when one matches. No variable holds it: the stack is 512 bytes.
  const softwareTreeRead = (path: string, flags: string): string =>
    `(${flags} & ${WRITE_FLAGS}) == 0 && (($w & 0xffffffffff) == ${wordOf('/usr/')} || ($w & 0xffffffff) == ${wordOf('/lib')} || ($w == ${wordOf('/etc/ld.')} && *uptr((uint64 *)(${path} + 8)) == ${wordOf('so.cache')} && *uptr((uint8 *)(${path} + 16)) == 0)) && !strcontains(${ustr(path)}, "/.")`;
  // A path in a page not yet faulted in reads as 0 here ($w): the exit probe tests it again, once
  // the kernel has read it (a libc's "/usr/lib/locale/locale-archive", opened by every program).
  const open = (path: string, flags: string): string =>
    `    $w = (uint64)*uptr((uint64 *)${path});
    if (!(${softwareTreeRead(path, flags)})) {
  ${file('open', path, flags)}
    }`;
  const numeric = (name: string, x: string, y = '0', z = '0'): string =>
    `    printf("S\\t%llu\\t%d\\t${name}\\t%lld\\t%lld\\t%lld\\n", cgroup, pid, (int64)${x}, (int64)${y}, (int64)${z});`;
  const withText = (name: string, x: string, y: string, text: string): string =>
    `    printf("P\\t%llu\\t%d\\t${name}\\t%lld\\t%lld\\t%s\\n", cgroup, pid, (int64)${x}, (int64)${y}, ${ustr(text)});`;

  on(['open'], open(a(0), a(1)));
  on(['openat'], open(a(1), a(2)));
  on(['openat2'], open(a(1), `*uptr((uint64 *)${a(2)})`));
  on(['unlink'], file('unlink', a(0), '0'));
  on(['unlinkat'], file('unlink', a(1), '0'));
  on(['rename'], `${file('rename', a(0), '0')}\n    @fp2[tid] = ${a(1)};`);
  on(['renameat', 'renameat2'], `${file('rename', a(1), '0')}\n    @fp2[tid] = ${a(3)};`);
  on(['chmod'], `    if (${a(1)} & 0111) {\n  ${file('chmod', a(0), a(1))}\n    }`);
  on(['fchmodat', 'fchmodat2'], `    if (${a(2)} & 0111) {\n  ${file('chmod', a(1), a(2))}\n    }`);
  on(
    ['fchmod'],
    `    if (${a(1)} & 0111) {\n      printf("F\\t%llu\\t%d\\t4\\t0\\t%lld\\tfd:%d\\n", cgroup, pid, (int64)${a(1)}, ${i32(0)});\n    }`,
  );
  on(['connect'], `    @cp[tid] = ${a(1)};`);
  on(['ptrace'], numeric('ptrace', a(0), i32(1)));
  on(['unshare'], numeric('unshare', a(0)));
  on(['setns'], numeric('setns', i32(0), i32(1)));
  on(['kill'], numeric('kill', i32(0), i32(1)));
  on(['tkill'], numeric('tkill', i32(0), i32(1)));
  on(['tgkill'], numeric('tgkill', i32(0), i32(1), i32(2)));
  on(['bpf'], numeric('bpf', i32(0)));
  on(['mount'], withText('mount', a(3), '0', a(1)));
  on(['memfd_create'], withText('memfd_create', a(1), '0', a(0)));
  on(['execveat'], withText('execveat', i32(0), i32(4), a(1)));
  const exitNames: SyscallName[] = [
    ...(['open', 'openat', 'openat2', 'unlink', 'unlinkat'] as const),
    ...(['rename', 'renameat', 'renameat2', 'chmod', 'fchmodat', 'fchmodat2', 'connect'] as const),
  ];
  // argv of a successful exec only, read from the new image: a PATH search (execvp) fails
  // several times per command, and reading argv at syscall entry printed every attempt. For a #!
  // script the area holds the interpreter's argv (see callerArgv in bpf-events.ts).
  return `tracepoint:sched:sched_process_exec /${watched}/ {
  $as = (uint64)curtask->mm->arg_start;
  $an = (uint64)curtask->mm->arg_end - $as;
  $i = (uint64)0;
  unroll(${MAX_ARGV_CHUNKS}) {
    if ($i * ${ARGV_CHUNK} < $an) {
      $len = $an - $i * ${ARGV_CHUNK};
      if ($len > ${ARGV_CHUNK}) { $len = ${ARGV_CHUNK}; }
      printf("A\\t%llu\\t%d\\t%d\\t%rx\\n", cgroup, args->old_pid, $i, buf(uptr($as + $i * ${ARGV_CHUNK}), $len));
    }
    $i++;
  }
}
// Urgent unless the image is the host's own software, which a sandbox cannot write to (bound
// read-only): a miner dropped anywhere else, or a copy of a host binary, is. The name is read
// from the new image (AT_EXECFN, just above the environment strings) as words. Three probes on
// one tracepoint, as each has 512 bytes of stack; they run in this order.
tracepoint:sched:sched_process_exec /${watched}/ {
  $fn = (uint64)curtask->mm->env_end;
  $w = (uint64)*uptr((uint64 *)$fn);
  if ((${HOST_SOFTWARE_PREFIXES.map((p) => `($w & 0x${'ff'.repeat(p.length)}) == ${wordOf(p)}`).join(' || ')}) && !strcontains(${ustr('$fn')}, "/.")) {
    @hostImage[tid] = 1;
  }
}
tracepoint:sched:sched_process_exec /${watched}/ {
${[0, 1, 2].map(stdioKind).join('\n')}
  $tag = ${'N'.charCodeAt(0)};
  if (@hostImage[tid] && $k0 != 1 && $k1 != 1 && $k2 != 1) { $tag = ${'E'.charCodeAt(0)}; }
  delete(@hostImage[tid]);
  printf("%c\\t%llu\\t%d\\t%d\\t%d\\t%d\\t%d\\t%d\\t%d\\t%s\\n", $tag, cgroup, pid, curtask->real_parent->tgid, uid, args->old_pid, $k0, $k1, $k2, str(args->filename));
}
tracepoint:sched:sched_process_exit /args->group_dead && ${watched}/ {
  printf("X\\t%llu\\t%d\\t%d\\n", cgroup, pid, curtask->exit_code);
}
tracepoint:raw_syscalls:sys_enter /pid == ${options.controlPid} || (${notHost})/ {
  $id = args->id;
  if (pid == ${options.controlPid}) {
    if ($id == ${nr.pread64 ?? -1} && args->args[3] >= ${WATCH_OFFSET}) {
      $cg = args->args[3] - ${WATCH_OFFSET};
      if (args->args[2] == ${WATCH_COUNT.add}) { @w[$cg] = 1; }
      else if (args->args[2] == ${WATCH_COUNT.remove}) { delete(@w[$cg]); }
    }
    return;
  }
  if (!(${idTest(entryNames, '$id')}) || !@w[cgroup]) { return; }
  if ${cases.join(' else if ')}
}
tracepoint:raw_syscalls:sys_exit /${notHost}/ {
  $id = args->id;
  if (!(${idTest(exitNames, '$id')}) || !@w[cgroup]) { return; }
  if (@fp[tid] != 0) {
    $fp = @fp[tid];
    $w = (uint64)*uptr((uint64 *)$fp);
    if (@fo[tid] == ${FILE_OPS.open} && ${softwareTreeRead('$fp', '@ff[tid]')}) {
      delete(@fp[tid]); delete(@fp2[tid]); delete(@ff[tid]); delete(@fo[tid]);
      return;
    }
    printf("F\\t%llu\\t%d\\t%d\\t%lld\\t%lld\\t%s\\n", cgroup, pid, @fo[tid], args->ret, @ff[tid], ${ustr('@fp[tid]')});
    if (@fp2[tid] != 0) {
      printf("F\\t%llu\\t%d\\t5\\t%lld\\t0\\t%s\\n", cgroup, pid, args->ret, ${ustr('@fp2[tid]')});
      delete(@fp2[tid]);
    }
    delete(@fp[tid]); delete(@ff[tid]); delete(@fo[tid]);
  } else if (@cp[tid] != 0) {
    $sa = @cp[tid];
    $fam = *uptr((uint16 *)$sa);
    if ($fam == 1) {
      printf("C\\t%llu\\t%d\\t%lld\\t1\\t0\\t%s\\n", cgroup, pid, args->ret, ${ustr('$sa + 2')});
    } else if ($fam == 2 || $fam == 10) {
      printf("C\\t%llu\\t%d\\t%lld\\t%d\\t%d\\t%u\\t%llu\\t%llu\\n", cgroup, pid, args->ret, $fam, *uptr((uint16 *)($sa + 2)), *uptr((uint32 *)($sa + 4)), *uptr((uint64 *)($sa + 8)), *uptr((uint64 *)($sa + 16)));
    }
    delete(@cp[tid]);
  }
}
// Last, so that seeing a marker means the probes above are attached.
tracepoint:sched:sched_process_exec /comm == "${SYNC_COMM}"/ { printf("M\\t%d\\n", pid); }
`;
}
