/**
 * Host checks for the monitor (`cordon doctor`): bpftrace present, tracefs mounted (mounting it
 * when missing and root), kernel BTF, root, and the cgroup2 facts the eBPF filter needs (the
 * cgroup2 mount and cordon's own cgroup id, whose events are dropped in the kernel).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TRACED_SYSCALLS, type SyscallFields } from './bpftrace-program.js';

export interface MonitorProbe {
  /** True when every check needed for eBPF passed. */
  ebpf: boolean;
  bpftrace: { path: string; version: string } | null;
  tracefs: string | null;
  btf: boolean;
  root: boolean;
  cgroup2Root: string | null;
  /** Why eBPF is unavailable, one line per failed check. */
  reasons: string[];
}

const TRACEFS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

export function findBpftrace(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin', '/bin']) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'bpftrace'), constants.X_OK);
      return join(dir, 'bpftrace');
    } catch {
      // keep looking
    }
  }
  return null;
}

/** The mounted tracefs, mounting it at /sys/kernel/tracing when absent and allowed. */
export function ensureTracefs(mount = true): string | null {
  for (const dir of TRACEFS) if (existsSync(join(dir, 'events'))) return dir;
  if (!mount || process.getuid?.() !== 0) return null;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS[0]!], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return existsSync(join(TRACEFS[0]!, 'events')) ? TRACEFS[0]! : null;
}

/**
 * The argument names of a syscall tracepoint's format file (`events/syscalls/sys_enter_<name>/
 * format`), in the syscall's argument order: a syscall event stores argument i as an 8-byte
 * field at offset 16 + 8i. Other fields (the common ones, `__syscall_nr`, any string copy a
 * kernel appends) are left out.
 */
export function parseFormatFields(format: string): string[] {
  const byPosition = new Map<number, string>();
  for (const m of format.matchAll(/field:([^;]*);\s*offset:(\d+);\s*size:(\d+);/g)) {
    const name = /([A-Za-z_]\w*)\s*$/.exec(m[1]!)?.[1];
    const offset = Number(m[2]);
    if (!name || Number(m[3]) !== 8 || offset < 16 || offset % 8 !== 0) continue;
    byPosition.set((offset - 16) / 8, name);
  }
  const names = Array.from({ length: byPosition.size }, (_, i) => byPosition.get(i));
  // A slot with no name would shift every later argument: return none, and the program refuses.
  return names.every((n) => n !== undefined) ? names : [];
}

/** The syscall tracepoints of TRACED_SYSCALLS this kernel has, with their argument names. */
export function readSyscallFields(tracefs: string): SyscallFields {
  const fields: SyscallFields = {};
  for (const name of TRACED_SYSCALLS) {
    try {
      const format = readFileSync(join(tracefs, 'events/syscalls', `sys_enter_${name}`, 'format'));
      fields[name] = parseFormatFields(format.toString('utf8'));
    } catch {
      // not on this kernel or architecture: nothing can make this syscall
    }
  }
  return fields;
}

/** Where cgroup2 is mounted (`/sys/fs/cgroup` on v2, `/sys/fs/cgroup/unified` on hybrid). */
export function cgroup2Root(): string | null {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  for (const line of mounts.split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.startsWith('cgroup2 ')) return left?.split(' ')[4] ?? null;
  }
  return null;
}

/** The v2 cgroup id (inode) of a cgroup2 directory, or null. */
export function cgroupIdOf(dir: string): number | null {
  try {
    return statSync(dir).ino;
  } catch {
    return null;
  }
}

/** Cgroup ids of the host that never hold a sandbox: the cgroup2 root and this process's own. */
export function hostCgroupIds(): number[] {
  const root = cgroup2Root();
  if (!root) return [1];
  const ids = new Set<number>([cgroupIdOf(root) ?? 1]);
  try {
    const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    const id = own !== undefined ? cgroupIdOf(join(root, own)) : null;
    if (id !== null) ids.add(id);
  } catch {
    // no v2 line: only the root is excluded
  }
  return [...ids];
}

/**
 * Checks whether eBPF monitoring can run here. Cheap (one `bpftrace --version`); mounts tracefs
 * when it is missing and we are root, as the monitor itself would.
 * @example const p = probeMonitor(); if (!p.ebpf) console.log(p.reasons.join('\n'));
 */
export function probeMonitor(): MonitorProbe {
  const reasons: string[] = [];
  const root = process.getuid?.() === 0;
  if (!root) reasons.push('not running as root: bpftrace needs CAP_BPF and CAP_PERFMON');
  const path = findBpftrace();
  let bpftrace: MonitorProbe['bpftrace'] = null;
  if (!path) reasons.push('bpftrace is not installed (apt install bpftrace)');
  else {
    const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 5000 });
    bpftrace = { path, version: (r.stdout ?? '').trim().replace(/^bpftrace /, '') };
  }
  const tracefs = ensureTracefs(root);
  if (!tracefs) reasons.push('tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)');
  else if (!readSyscallFields(tracefs).pread64?.length) {
    reasons.push('the kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)');
  }
  const btf = existsSync('/sys/kernel/btf/vmlinux');
  if (!btf) reasons.push('kernel BTF (/sys/kernel/btf/vmlinux) is missing');
  const v2 = cgroup2Root();
  if (!v2) reasons.push('no cgroup2 hierarchy: eBPF cannot tell sandboxes apart');
  return {
    ebpf: reasons.length === 0,
    bpftrace,
    tracefs,
    btf,
    root,
    cgroup2Root: v2,
    reasons,
  };
}
