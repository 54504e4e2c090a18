/**
 * Sandbox cgroups on the v1 and hybrid layouts: one directory per controller (cpu, cpuacct,
 * memory, pids, freezer) under `<mount>/cordon/<name>`, and on hybrid hosts an empty directory in
 * the unified hierarchy too, whose inode is the cgroup id eBPF programs filter on.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CORDON_DIR,
  KeptCgroupFile,
  keyedValue,
  killPidsUntilEmpty,
  readCgroupFile,
  readPids,
  removeDir,
  rmdirQuiet,
  signalPid,
  waitFor,
  writeCgroupFile,
  type CgroupLimits,
  type CgroupUsage,
  type LimitHits,
  type SandboxCgroup,
} from './cgroup-fs.js';
import type { CgroupFacts } from './host.js';

const CPU_PERIOD_US = 100_000;

export class V1Cgroup implements SandboxCgroup {
  readonly version = 'v1' as const;
  readonly paths: readonly string[];
  readonly procsFiles: readonly string[];

  private constructor(
    readonly name: string,
    /** controller -> this sandbox's directory for it */
    private readonly dirs: Readonly<Record<string, string>>,
    private readonly unifiedDir: string | null,
    readonly v2Id: number | null,
  ) {
    const unique = [...new Set(Object.values(dirs))];
    this.paths = unifiedDir ? [...unique, unifiedDir] : unique;
    this.procsFiles = this.paths.map((d) => join(d, 'cgroup.procs'));
    const kept = (controller: string, name: string) => {
      const path = this.file(controller, name);
      return path ? new KeptCgroupFile(path) : null;
    };
    this.oomControl = kept('memory', 'memory.oom_control');
    this.pidsEvents = kept('pids', 'pids.events');
  }

  private readonly oomControl: KeptCgroupFile | null;
  private readonly pidsEvents: KeptCgroupFile | null;

  static create(name: string, limits: CgroupLimits, facts: CgroupFacts): V1Cgroup {
    const dirs: Record<string, string> = {};
    const created: string[] = [];
    try {
      for (const [controller, mount] of Object.entries(facts.v1Mounts)) {
        const dir = join(mount, CORDON_DIR, name);
        if (!created.includes(dir)) {
          mkdirSync(dir, { recursive: true });
          created.push(dir);
        }
        dirs[controller] = dir;
      }
      let unifiedDir: string | null = null;
      let v2Id: number | null = null;
      if (facts.unifiedRoot) {
        unifiedDir = join(facts.unifiedRoot, CORDON_DIR, name);
        mkdirSync(unifiedDir, { recursive: true });
        created.push(unifiedDir);
        v2Id = statSync(unifiedDir).ino;
      }
      const cg = new V1Cgroup(name, dirs, unifiedDir, v2Id);
      cg.applyLimits(limits);
      return cg;
    } catch (error) {
      // Nothing has joined yet, so a plain rmdir undoes the partial setup.
      for (const dir of created.reverse()) rmdirQuiet(dir);
      throw error;
    }
  }

  private file(controller: string, name: string): string | null {
    const dir = this.dirs[controller];
    return dir ? join(dir, name) : null;
  }

  private applyLimits(limits: CgroupLimits): void {
    const period = this.file('cpu', 'cpu.cfs_period_us');
    const quota = this.file('cpu', 'cpu.cfs_quota_us');
    if (period && quota) {
      writeCgroupFile(period, String(CPU_PERIOD_US));
      writeCgroupFile(quota, String(Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US))));
    }
    const bytes = String(limits.memoryMB * 1024 * 1024);
    const memLimit = this.file('memory', 'memory.limit_in_bytes');
    if (memLimit) writeCgroupFile(memLimit, bytes);
    // memsw (memory + swap) equal to the memory limit means no swap: the limit cannot be dodged.
    const memsw = this.file('memory', 'memory.memsw.limit_in_bytes');
    if (memsw && existsSync(memsw)) writeCgroupFile(memsw, bytes);
    const pidsMax = this.file('pids', 'pids.max');
    if (pidsMax) writeCgroupFile(pidsMax, String(limits.pids));
  }

  private procsDir(): string {
    return this.dirs.pids ?? this.dirs.freezer ?? this.dirs.memory ?? this.paths[0] ?? '';
  }

  pids(): number[] {
    return readPids(join(this.procsDir(), 'cgroup.procs'));
  }

  usage(): CgroupUsage {
    const read = (controller: string, name: string) => {
      const path = this.file(controller, name);
      return path ? readCgroupFile(path) : null;
    };
    const cpuNs = Number(read('cpuacct', 'cpuacct.usage') ?? 0);
    return {
      cpuMs: Math.round(cpuNs / 1e6),
      peakMemoryBytes: Number(read('memory', 'memory.max_usage_in_bytes') ?? 0),
      ...this.limitHits(),
      peakPids: Number(read('pids', 'pids.peak') ?? 0) || 0,
    };
  }

  limitHits(): LimitHits {
    return {
      oomKills: keyedValue(this.oomControl?.read() ?? null, 'oom_kill'),
      pidsLimitHits: keyedValue(this.pidsEvents?.read() ?? null, 'max'),
    };
  }

  async freeze(): Promise<void> {
    const state = this.file('freezer', 'freezer.state');
    if (!state) return;
    writeCgroupFile(state, 'FROZEN');
    await waitFor(() => readCgroupFile(state)?.trim() === 'FROZEN', 1000);
  }

  thaw(): void {
    const state = this.file('freezer', 'freezer.state');
    if (state) writeCgroupFile(state, 'THAWED');
  }

  async kill(): Promise<void> {
    // Freeze first so nothing forks between reading cgroup.procs and the kills.
    if (this.pids().length === 0) return;
    await this.freeze();
    for (const pid of this.pids()) signalPid(pid, 'SIGKILL');
    this.thaw();
    await killPidsUntilEmpty(this.paths);
  }

  async remove(): Promise<void> {
    await this.kill();
    this.oomControl?.close();
    this.pidsEvents?.close();
    for (const dir of this.paths) await removeDir(dir);
  }
}
