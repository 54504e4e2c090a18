/**
 * The bpftrace program the monitor runs, generated as text. Owns the wire format between the kernel
 * side and `bpftrace-parse.ts`: one printf per event, tab-separated, the single user-controlled
 * string always last so that tabs inside it cannot shift the fields.
 *
 *   M pid                                   sync marker (an exec of the marker program, any cgroup)
 *   A cg tid idx hex                        chunk idx of a successful exec's argv area (tid: oldPid):
 *                                           up to ARGV_CHUNK bytes, each as two hex digits and a
 *                                           space (`%rh`: 3 characters a byte; `%rx`'s `\xNN` is 5
 *                                           in JSON)
 *   E cg pid ppid uid oldPid stdio cwd filename
 *                                           exec done (sched_process_exec); stdio: what fds 0..2
 *                                           are (STDIO_KINDS), read from the new image's fd table,
 *                                           a hex digit each, fd 0 last (0x621: fd 0 is 1, fd 2 6);
 *                                           cwd: the working directory's dentry address and inode
 *                                           (`ptr:ino`), a key that user space resolves once for
 *                                           every exec sharing it (see bpf-events.ts)
 *   N (as E)                                the same, for an exec that must be seen at once
 *                                           (URGENT_TAGS): an image from outside the host's
 *                                           software trees, or stdio on a network socket
 *   X cg pid exitCode                       a whole process exited (group_dead)
 *   D cg pid ppid uid stdio                 a network socket came onto fd 0..2 after exec (a dup2
 *                                           reverse shell): stdio as on E lines, read at the exit
 *                                           of the syscall that put it there (NET_STDIO_SYSCALLS)
 *   F cg pid op ret flags path              file op at syscall exit (op: FILE_OPS; 5 = rename's new name)
 *   C cg pid ret 1 0 path                   connect to a unix socket, at syscall exit
 *   C cg pid ret fam portBE v4 v6hi v6lo    connect (inet 2, inet6 10): raw words, decoded in user space
 *   S cg pid name a1 a2 a3                  syscall with numeric arguments
 *   P cg pid name a1 a2 str                 syscall with one string argument
 *
 * Each syscall has its own tracepoint (`syscalls:sys_enter_<name>`, and `sys_exit_<name>` where
 * the result matters), which runs only when that syscall is made. The two raw_syscalls
 * tracepoints, one program for every syscall, cost every syscall of the host about 0.5 us on this
 * kind of VM: a C build's 60,000 syscalls paid some 30 ms of CPU for the few hundred that
 * matter. Arguments are named as the running kernel names them (`readSyscallFields`).
 *
 * Only cgroups in the kernel map `@w` are traced: cordon adds and removes them with a control call
 * the program recognises (`WATCH_OFFSET`), so other processes, other cordon instances' sandboxes
 * and unwatched cgroups never reach user space; host cgroups stop at a compare, before the map
 * lookup. Two kinds of opens are dropped in the kernel (`droppedInKernel`), as a C build makes
 * them by the thousand and no rule needs one: read-only opens of the host's software trees, and
 * successful opens of regular files named as build artefacts (`BUILD_ARTEFACT_EXTENSIONS`).
 */

import {
  BUILD_ARTEFACT_EXTENSIONS,
  isBuildArtefactName,
  isSoftwareTreePath,
} from './sensitive-paths.js';

export const SYNC_COMM = 'cordon-sync';

/**
 * Lines the native reader hands to JS at once (see line-reader.ts); the others may wait a little.
 * Urgent: sync markers, execs from outside the host's software or with a socket on stdio (a
 * dropped or renamed miner, a reverse shell), connects and the rare syscalls. Routine: what a
 * build makes by the hundred (argv chunks, execs of host programs, exits, file operations).
 */
export const URGENT_TAGS = 'MNDCSP';

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

/** The syscalls the program traces, each through its own `syscalls:sys_enter_<name>` tracepoint. */
export const TRACED_SYSCALLS = [
  'open',
  'openat',
  'openat2',
  'unlink',
  'unlinkat',
  'rename',
  'renameat',
  'renameat2',
  'chmod',
  'fchmod',
  'fchmodat',
  'fchmodat2',
  'connect',
  'ptrace',
  'unshare',
  'setns',
  'kill',
  'tkill',
  'tgkill',
  'bpf',
  'mount',
  'memfd_create',
  'execveat',
  'pread64',
  'dup',
  'dup2',
  'dup3',
  'fcntl',
  'socket',
  'accept',
  'accept4',
  'pidfd_getfd',
  'recvmsg',
  'recvmmsg',
] as const;
export type SyscallName = (typeof TRACED_SYSCALLS)[number];

/**
 * Every way a process can put a network socket on fd 0..2 without an exec (which E lines cover):
 * those returning the new fd (duplicates, a new or accepted socket, another process's fd), and
 * those receiving fds (SCM_RIGHTS), which land wherever a fd is free. io_uring, which could
 * install fds otherwise, is refused in every sandbox (cordon-init's seccomp filter).
 */
export const NET_STDIO_SYSCALLS = {
  returnsFd: ['dup', 'dup2', 'dup3', 'fcntl', 'socket', 'accept', 'accept4', 'pidfd_getfd'],
  receivesFds: ['recvmsg', 'recvmmsg'],
} as const satisfies Record<string, readonly SyscallName[]>;

/**
 * The argument names of each syscall tracepoint this kernel has, in the syscall's argument order
 * (`readSyscallFields` reads them from tracefs). The program names arguments by position: the
 * names differ between kernels, and a syscall the kernel lacks (arm64 has no legacy `open`,
 * `fchmodat2` is from 6.6) is simply not traced, as nothing can call it.
 */
export type SyscallFields = Partial<Record<SyscallName, readonly string[]>>;

export interface ProgramOptions {
  /** v2 cgroup ids whose events are dropped in the kernel (the host root and cordon's own). */
  excludeCgroupIds: readonly number[];
  /** The cordon process (tgid) allowed to add and remove watched cgroups (see `watchControl`). */
  controlPid: number;
  /** The syscall tracepoints to attach, with their argument names; `pread64` is required. */
  syscalls: SyscallFields;
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

/** `$k0 | $k1 << 4 | $k2 << 8`: the stdio field of E and D lines. */
const STDIO_FIELD = '$k0 | ($k1 << 4) | ($k2 << 8)';
/** Bit i set when fd i is a network socket (kind 1), once stdioKind has run for fds 0..2. */
const NET_STDIO_MASK = '($k0 == 1 ? 1 : 0) | ($k1 == 1 ? 2 : 0) | ($k2 == 1 ? 4 : 0)';
/** Keeps `$net` (NET_STDIO_MASK) as the process's `@netStdio`; no key when it is 0. */
const REMEMBER_NET_STDIO =
  'if ($net == 0) { delete(@netStdio[pid]); } else { @netStdio[pid] = $net; }';

/**
 * Body of the probes at the exit of NET_STDIO_SYSCALLS: prints a D line when a network socket is
 * on an fd of 0..2 that had none at the last look. `@netStdio` keeps, per process, which of fds
 * 0..2 were network sockets at its exec or last D line, so that a reverse shell's every later
 * fcntl or dup is not reported again.
 */
function netStdioCheck(): string {
  return `${[0, 1, 2].map(stdioKind).join('\n')}
  $net = ${NET_STDIO_MASK};
  $was = @netStdio[pid];
  if ($net != $was) {
    if (($net & ~$was) != 0) {
      printf("D\\t%llu\\t%d\\t%d\\t%d\\t%x\\n", cgroup, pid, curtask->real_parent->tgid, uid, ${STDIO_FIELD});
    }
    ${REMEMBER_NET_STDIO}
  }`;
}

/**
 * An exec's argv is sent as its argument area (`mm->arg_start..arg_end`, the NUL-terminated
 * strings /proc/<pid>/cmdline shows) in chunks of this many bytes: a compiler's argv of 9 to 30
 * elements fits one or two chunks, where one printf per element made two thirds of a build's
 * lines. bpftrace's `%rh` prints every byte as two hex digits, so NULs, tabs and backslashes
 * inside arguments cannot be mistaken for each other.
 */
export const ARGV_CHUNK = 200;
/** BPFTRACE_STRLEN: the longest string (path, argument) and buffer a printf carries. */
export const BPFTRACE_STRLEN = ARGV_CHUNK;
/** Chunks sent per exec: the first 4,000 bytes of argv (the rest is left out). */
const MAX_ARGV_CHUNKS = 20;

/** Write flags that make an open a write (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC). */
export const WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000;

/** What a successful open's new fd refers to, as the program reads it from the fd table. */
export interface OpenedFile {
  /** The file's name (its dentry's: the last component, after symlinks). */
  name: string;
  regular: boolean;
}

/**
 * True when the program drops this file record in the kernel. Mirrors the program's tests:
 * - a read-only open of a path `isSoftwareTreePath` accepts, which `matchSensitive` never reports;
 * - a successful open (`opened`) of a regular file with a build artefact's name
 *   (`isBuildArtefactName`): a C build opens each source, temporary assembly file and object
 *   several times, and no rule cares about one.
 */
export function droppedInKernel(
  op: number,
  flags: number,
  path: string,
  opened?: OpenedFile,
): boolean {
  if (op !== FILE_OPS.open) return false;
  if ((flags & WRITE_FLAGS) === 0 && isSoftwareTreePath(path)) return true;
  return opened !== undefined && opened.regular && isBuildArtefactName(opened.name);
}

/** The first (up to 8) bytes of `text` as a little-endian u64, in hex. */
function wordOf(text: string): string {
  const bytes = Buffer.alloc(8);
  bytes.write(text, 'latin1');
  return `0x${bytes.readBigUInt64LE().toString(16)}`;
}

const ustr = (expr: string): string => `str(uptr(${expr}))`;

/** Builds the program text for this kernel's syscall tracepoints (`options.syscalls`). */
export function buildProgram(options: ProgramOptions): string {
  const fields = options.syscalls;
  const control = fields.pread64;
  if (!control || control.length < 4) {
    throw new Error('the kernel has no sys_enter_pread64 tracepoint (CONFIG_FTRACE_SYSCALLS)');
  }
  const ids = options.excludeCgroupIds.length > 0 ? options.excludeCgroupIds : [1];
  // Host processes stop at the cgroup compares, before the map lookup.
  const notHost = ids.map((id) => `cgroup != ${id}`).join(' && ');
  const watched = `${notHost} && @w[cgroup]`;
  const probes: string[] = [];
  /** One probe on `sys_enter_<name>`; `body` gets the argument at a position. Skipped when absent. */
  const onEnter = (name: SyscallName, body: (arg: (i: number) => string) => string): void => {
    const names = fields[name];
    if (!names) return;
    const arg = (i: number): string => {
      const field = names[i];
      if (field === undefined) throw new Error(`sys_enter_${name} has no argument ${i}`);
      return `args->${field}`;
    };
    probes.push(`tracepoint:syscalls:sys_enter_${name} /${watched}/ {\n${body(arg)}\n}`);
  };
  const onExit = (names: readonly SyscallName[], body: string): void => {
    for (const name of names) {
      if (fields[name])
        probes.push(`tracepoint:syscalls:sys_exit_${name} /${watched}/ {\n${body}\n}`);
    }
  };
  const file = (op: keyof typeof FILE_OPS, path: string, flags: string): string =>
    `  @fp[tid] = (uint64)${path}; @ff[tid] = (int64)${flags}; @fo[tid] = ${FILE_OPS[op]};`;
  // Mirrors droppedInKernel(), at syscall exit only: the kernel has read the path by then (at
  // entry, a page not yet faulted in reads as 0), and each strcontains costs bpftrace about 0.1 s
  // to compile. The prefixes are compared as little-endian words (one read); the path is copied
  // only when one matches. No variable holds it: the stack is 512 bytes.
  const softwareTreeRead = (path: string, flags: string): string =>
    `(${flags} & ${WRITE_FLAGS}) == 0 && (($w & 0xffffffffff) == ${wordOf('/usr/')} || ($w & 0xffffffff) == ${wordOf('/lib')} || ($w == ${wordOf('/etc/ld.')} && *uptr((uint64 *)(${path} + 8)) == ${wordOf('so.cache')} && *uptr((uint8 *)(${path} + 16)) == 0)) && !strcontains(${ustr(path)}, "/.")`;
  const numeric = (name: string, x: string, y = '0', z = '0'): string =>
    `  printf("S\\t%llu\\t%d\\t${name}\\t%lld\\t%lld\\t%lld\\n", cgroup, pid, (int64)${x}, (int64)${y}, (int64)${z});`;
  const withText = (name: string, x: string, y: string, text: string): string =>
    `  printf("P\\t%llu\\t%d\\t${name}\\t%lld\\t%lld\\t%s\\n", cgroup, pid, (int64)${x}, (int64)${y}, ${ustr(text)});`;
  const chmodX = (path: string, mode: string): string =>
    `  if (${mode} & 0111) {\n  ${file('chmod', path, mode)}\n  }`;
  const i32 = (expr: string): string => `(int32)${expr}`;

  onEnter('open', (a) => file('open', a(0), a(1)));
  onEnter('openat', (a) => file('open', a(1), a(2)));
  onEnter('openat2', (a) => file('open', a(1), `*uptr((uint64 *)${a(2)})`));
  onEnter('unlink', (a) => file('unlink', a(0), '0'));
  onEnter('unlinkat', (a) => file('unlink', a(1), '0'));
  onEnter('rename', (a) => `${file('rename', a(0), '0')}\n  @fp2[tid] = (uint64)${a(1)};`);
  for (const name of ['renameat', 'renameat2'] as const) {
    onEnter(name, (a) => `${file('rename', a(1), '0')}\n  @fp2[tid] = (uint64)${a(3)};`);
  }
  onEnter('chmod', (a) => chmodX(a(0), a(1)));
  onEnter('fchmodat', (a) => chmodX(a(1), a(2)));
  onEnter('fchmodat2', (a) => chmodX(a(1), a(2)));
  onEnter(
    'fchmod',
    (a) =>
      `  if (${a(1)} & 0111) {\n    printf("F\\t%llu\\t%d\\t4\\t0\\t%lld\\tfd:%d\\n", cgroup, pid, (int64)${a(1)}, ${i32(a(0))});\n  }`,
  );
  onEnter('connect', (a) => `  @cp[tid] = (uint64)${a(1)};`);
  onEnter('ptrace', (a) => numeric('ptrace', a(0), i32(a(1))));
  onEnter('unshare', (a) => numeric('unshare', a(0)));
  onEnter('setns', (a) => numeric('setns', i32(a(0)), i32(a(1))));
  onEnter('kill', (a) => numeric('kill', i32(a(0)), i32(a(1))));
  onEnter('tkill', (a) => numeric('tkill', i32(a(0)), i32(a(1))));
  onEnter('tgkill', (a) => numeric('tgkill', i32(a(0)), i32(a(1)), i32(a(2))));
  onEnter('bpf', (a) => numeric('bpf', i32(a(0))));
  onEnter('mount', (a) => withText('mount', a(3), '0', a(1)));
  onEnter('memfd_create', (a) => withText('memfd_create', a(1), '0', a(0)));
  onEnter('execveat', (a) => withText('execveat', i32(a(0)), i32(a(4)), a(1)));

  // The file the new fd refers to (read from the fd table: the path may be relative) is regular
  // and named as a build artefact: its name's last four bytes are read as one word. Another
  // thread could swap the fd in the moment before this runs; an attempt that loses that race is
  // reported, so it cannot hide reads.
  const artefactTests = BUILD_ARTEFACT_EXTENSIONS.map(
    (ext) => `($n > ${ext.length + 1} && ($x >> ${8 * (3 - ext.length)}) == ${wordOf(`.${ext}`)})`,
  );
  const fileExit = (test: string): string => `  if (@fp[tid] != 0) {${test}
    printf("F\\t%llu\\t%d\\t%d\\t%lld\\t%lld\\t%s\\n", cgroup, pid, @fo[tid], args->ret, @ff[tid], ${ustr('@fp[tid]')});
    if (@fp2[tid] != 0) {
      printf("F\\t%llu\\t%d\\t5\\t%lld\\t0\\t%s\\n", cgroup, pid, args->ret, ${ustr('@fp2[tid]')});
      delete(@fp2[tid]);
    }
    delete(@fp[tid]); delete(@ff[tid]); delete(@fo[tid]);
  }`;
  onExit(
    ['open', 'openat', 'openat2'],
    fileExit(`
    $fp = @fp[tid];
    $w = (uint64)*uptr((uint64 *)$fp);
    $drop = 0;
    if (${softwareTreeRead('$fp', '@ff[tid]')}) {
      $drop = 1;
    } else if (args->ret >= 0) {
      $f = *(struct file **)((uint64)curtask->files->fdt->fd + args->ret * 8);
      if ($f != 0 && ($f->f_inode->i_mode & 0xf000) == 0x8000) {
        $n = (uint64)$f->f_path.dentry->d_name.len;
        $x = (uint64)*(uint32 *)($f->f_path.dentry->d_name.name + $n - 4);
        if (${artefactTests.join(' || ')}) { $drop = 1; }
      }
    }
    if ($drop) {
      delete(@fp[tid]); delete(@ff[tid]); delete(@fo[tid]);
      return;
    }`),
  );
  onExit(
    ['unlink', 'unlinkat', 'rename', 'renameat', 'renameat2', 'chmod', 'fchmodat', 'fchmodat2'],
    fileExit(''),
  );
  onExit(
    ['connect'],
    `  if (@cp[tid] != 0) {
    $sa = @cp[tid];
    $fam = *uptr((uint16 *)$sa);
    if ($fam == 1) {
      printf("C\\t%llu\\t%d\\t%lld\\t1\\t0\\t%s\\n", cgroup, pid, args->ret, ${ustr('$sa + 2')});
    } else if ($fam == 2 || $fam == 10) {
      printf("C\\t%llu\\t%d\\t%lld\\t%d\\t%d\\t%u\\t%llu\\t%llu\\n", cgroup, pid, args->ret, $fam, *uptr((uint16 *)($sa + 2)), *uptr((uint32 *)($sa + 4)), *uptr((uint64 *)($sa + 8)), *uptr((uint64 *)($sa + 16)));
    }
    delete(@cp[tid]);
  }`,
  );
  // A network socket onto fd 0..2 after exec: only a returned fd of 0..2 can be one; a received
  // one can land anywhere.
  const watchTurns = (returned: string, names: readonly SyscallName[]): void => {
    for (const name of names) {
      if (fields[name]) {
        probes.push(
          `tracepoint:syscalls:sys_exit_${name} /${returned} && ${watched}/ {\n${netStdioCheck()}\n}`,
        );
      }
    }
  };
  watchTurns('args->ret >= 0 && args->ret <= 2', NET_STDIO_SYSCALLS.returnsFd);
  watchTurns('args->ret >= 0', NET_STDIO_SYSCALLS.receivesFds);
  const [, , count, offset] = control.map((field) => `args->${field}`);
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
      printf("A\\t%llu\\t%d\\t%d\\t%rh\\n", cgroup, args->old_pid, $i, buf(uptr($as + $i * ${ARGV_CHUNK}), $len));
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
  $net = ${NET_STDIO_MASK};
  if ($net != @netStdio[pid]) { ${REMEMBER_NET_STDIO} }
  $tag = ${'N'.charCodeAt(0)};
  if (@hostImage[tid] && $net == 0) { $tag = ${'E'.charCodeAt(0)}; }
  delete(@hostImage[tid]);
  // One printf argument for the three stdio kinds, and the cwd key read inline: this probe's
  // stack holds the whole line, the 200-byte filename included, within 512 bytes.
  printf("%c\\t%llu\\t%d\\t%d\\t%d\\t%d\\t%x\\t%llu:%llu\\t%s\\n", $tag, cgroup, pid, curtask->real_parent->tgid, uid, args->old_pid, ${STDIO_FIELD}, (uint64)curtask->fs->pwd.dentry, curtask->fs->pwd.dentry->d_inode->i_ino, str(args->filename));
}
tracepoint:sched:sched_process_exit /args->group_dead && ${watched}/ {
  printf("X\\t%llu\\t%d\\t%d\\n", cgroup, pid, curtask->exit_code);
  delete(@netStdio[pid]);
}
tracepoint:syscalls:sys_enter_pread64 /pid == ${options.controlPid}/ {
  if (${offset} >= ${WATCH_OFFSET}) {
    $cg = ${offset} - ${WATCH_OFFSET};
    if (${count} == ${WATCH_COUNT.add}) { @w[$cg] = 1; }
    else if (${count} == ${WATCH_COUNT.remove}) { delete(@w[$cg]); }
  }
}
${probes.join('\n')}
// Last, so that seeing a marker means the probes above are attached.
tracepoint:sched:sched_process_exec /comm == "${SYNC_COMM}"/ { printf("M\\t%d\\n", pid); }
`;
}
