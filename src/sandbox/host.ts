/**
 * Host probe: what this machine offers a sandbox (bubblewrap, user namespaces, cgroup layout and
 * controllers, GPU nodes, the shape of `/`). Probed once per process and cached; `cordon doctor`
 * prints it, and the sandbox uses it to fail closed instead of half-isolating.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { usernsUsable } from './userns-probe.js';

export type CgroupLayout = 'v2' | 'hybrid' | 'v1' | 'none';

export interface CgroupFacts {
  layout: CgroupLayout;
  /** The cgroup2 mount (`/sys/fs/cgroup` on v2, `/sys/fs/cgroup/unified` on hybrid), else null. */
  unifiedRoot: string | null;
  /** v1 controller name -> its mount point (`cpu` -> `/sys/fs/cgroup/cpu`); empty on v2. */
  v1Mounts: Record<string, string>;
  /** Controllers usable for limits: v2 `cgroup.controllers`, or the v1 controllers mounted. */
  controllers: string[];
}

/** One entry at the top of the host's `/`, as the mount builder needs it. */
export interface RootEntry {
  name: string;
  kind: 'dir' | 'symlink' | 'other';
  /** The link target, for symlinks (`usr/bin` for `/bin`). */
  target?: string;
}

export interface HostFacts {
  bwrap: { path: string; version: string } | null;
  userNamespaces: boolean;
  /** Why user namespaces are unusable (bwrap's message), when they are. */
  userNamespacesError?: string;
  cgroup: CgroupFacts;
  /** GPU device nodes present on the host (`/dev/nvidia0`, `/dev/dri`, `/dev/kfd`, ...). */
  gpuNodes: string[];
  rootEntries: RootEntry[];
  /** The invoking user's home, for `~` in policy paths. */
  home: string;
}

const CGROUP_ROOT = '/sys/fs/cgroup';
const WANTED_V1 = ['cpu', 'cpuacct', 'memory', 'pids', 'freezer'];

let cached: HostFacts | undefined;

/**
 * Probes the host (about 5 ms, one short bwrap run unless a usable user namespace is remembered
 * from an earlier cordon process: see userns-probe.ts) and caches the answer; `fresh` probes
 * everything again.
 * @example if (!probeHost().bwrap) throw new CordonError('CORDON_E_BWRAP_MISSING');
 */
export function probeHost(options: { fresh?: boolean } = {}): HostFacts {
  if (cached && !options.fresh) return cached;
  const bwrapPath = findExecutable('bwrap');
  const bwrap = bwrapPath ? bwrapFacts(bwrapPath) : null;
  const userns = bwrapPath
    ? usernsUsable(bwrapPath, options)
    : { ok: false, error: 'bwrap missing' };
  cached = {
    bwrap,
    userNamespaces: userns.ok,
    ...(userns.ok ? {} : { userNamespacesError: userns.error }),
    cgroup: probeCgroups(),
    gpuNodes: probeGpuNodes(),
    rootEntries: scanRoot('/'),
    home: process.env.HOME || homedir(),
  };
  return cached;
}

export function findExecutable(name: string, pathEnv = process.env.PATH ?? ''): string | null {
  const dirs = [...pathEnv.split(delimiter), '/usr/bin', '/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: keep looking
    }
  }
  return null;
}

/**
 * bwrap's path, and its version read on first use: only `cordon doctor` and the host checks show
 * it, and each `bwrap --version` is a process spawned from Node (10-15 ms) on every CLI start.
 */
function bwrapFacts(path: string): { path: string; version: string } {
  let version: string | undefined;
  return {
    path,
    get version() {
      return (version ??= bwrapVersion(path));
    },
  };
}

function bwrapVersion(path: string): string {
  const out = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 5000 });
  return (out.stdout ?? '').trim().replace(/^bubblewrap\s+/, '') || 'unknown';
}

/** Parses `/proc/self/mountinfo` text into cgroup facts; exported for unit tests. */
export function cgroupFactsFrom(mountinfo: string, v2RootControllers: string | null): CgroupFacts {
  const v1Mounts: Record<string, string> = {};
  let unified: string | null = null;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4];
    const [fstype, , superOpts = ''] = right.split(' ');
    if (!mountPoint || !mountPoint.startsWith(CGROUP_ROOT)) continue;
    if (fstype === 'cgroup2') unified = mountPoint;
    if (fstype !== 'cgroup') continue;
    for (const opt of superOpts.split(',')) {
      if (WANTED_V1.includes(opt) && !v1Mounts[opt]) v1Mounts[opt] = mountPoint;
    }
  }
  const hasV1 = Object.keys(v1Mounts).length > 0;
  if (unified === CGROUP_ROOT && v2RootControllers !== null) {
    return {
      layout: 'v2',
      unifiedRoot: unified,
      v1Mounts: {},
      controllers: words(v2RootControllers),
    };
  }
  if (hasV1) {
    return {
      layout: unified ? 'hybrid' : 'v1',
      unifiedRoot: unified,
      v1Mounts,
      controllers: Object.keys(v1Mounts).sort(),
    };
  }
  return { layout: 'none', unifiedRoot: unified, v1Mounts: {}, controllers: [] };
}

function probeCgroups(): CgroupFacts {
  const mountinfo = readText('/proc/self/mountinfo') ?? '';
  return cgroupFactsFrom(mountinfo, readText(join(CGROUP_ROOT, 'cgroup.controllers')));
}

function probeGpuNodes(): string[] {
  const nodes: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync('/dev');
  } catch {
    return nodes;
  }
  for (const name of names.sort()) {
    if (name.startsWith('nvidia') || name === 'dri' || name === 'kfd') nodes.push(`/dev/${name}`);
  }
  return nodes;
}

/** The top-level entries of a root directory (dirs, symlinks, others), sorted by name. */
export function scanRoot(root: string): RootEntry[] {
  const out: RootEntry[] = [];
  for (const name of readdirSync(root).sort()) {
    const full = join(root, name);
    try {
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out.push({ name, kind: 'symlink', target: readlinkSync(full) });
      else if (st.isDirectory()) out.push({ name, kind: 'dir' });
      else out.push({ name, kind: 'other' });
    } catch {
      // vanished while listing
    }
  }
  return out;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean).sort();
}
