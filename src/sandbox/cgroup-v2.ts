/**
 * Sandbox cgroups on a pure cgroup v2 host: `<root>/cordon/<name>` with cpu.max, memory.max,
 * memory.swap.max=0 and pids.max; kill with cgroup.kill (5.14+), freeze with cgroup.freeze.
 * The parent's subtree_control is extended once so the controllers reach the sandbox level.
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
const WANTED = ['cpu', 'memory', 'pids'];

/** Enables the wanted controllers in `dir`'s subtree_control (those the parent offers). */
function enableControllers(dir: string): void {
  const offered = (readCgroupFile(join(dir, 'cgroup.controllers')) ?? '').split(/\s+/);
  const enabled = (readCgroupFile(join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/);
  const missing = WANTED.filter((c) => offered.includes(c) && !enabled.includes(c));
  if (missing.length) {
    writeCgroupFile(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
  }
}

/** `cpu.max` text for a number of cores. */
export function cpuMaxValue(cpus: number): string {
  return `${Math.max(1000, Math.round(cpus * CPU_PERIOD_US))} ${CPU_PERIOD_US}`;
}

export class V2Cgroup implements SandboxCgroup {
  readonly version = 'v2' as const;
  readonly paths: readonly string[];
  readonly procsFiles: readonly string[];

  private constructor(
    readonly name: string,
    private readonly dir: string,
    readonly v2Id: number,
  ) {
    this.paths = [dir];
    this.procsFiles = [join(dir, 'cgroup.procs')];
    this.memoryEvents = new KeptCgroupFile(join(dir, 'memory.events'));
    this.pidsEvents = new KeptCgroupFile(join(dir, 'pids.events'));
  }

  private readonly memoryEvents: KeptCgroupFile;
  private readonly pidsEvents: KeptCgroupFile;

  static create(name: string, limits: CgroupLimits, facts: CgroupFacts): V2Cgroup {
    const root = facts.unifiedRoot ?? '/sys/fs/cgroup';
    const parent = join(root, CORDON_DIR);
    enableControllers(root);
    mkdirSync(parent, { recursive: true });
    enableControllers(parent);
    const dir = join(parent, name);
    mkdirSync(dir);
    try {
      const cg = new V2Cgroup(name, dir, statSync(dir).ino);
      cg.applyLimits(limits);
      return cg;
    } catch (error) {
      rmdirQuiet(dir);
      throw error;
    }
  }

  private applyLimits(limits: CgroupLimits): void {
    const write = (file: string, value: string) => {
      const path = join(this.dir, file);
      if (existsSync(path)) writeCgroupFile(path, value);
    };
    write('cpu.max', cpuMaxValue(limits.cpus));
    write('memory.max', String(limits.memoryMB * 1024 * 1024));
    // No swap: otherwise a memory hog pages out instead of hitting its limit.
    write('memory.swap.max', '0');
    write('pids.max', String(limits.pids));
  }

  private read(file: string): string | null {
    return readCgroupFile(join(this.dir, file));
  }

  pids(): number[] {
    return readPids(join(this.dir, 'cgroup.procs'));
  }

  usage(): CgroupUsage {
    const peak = this.read('memory.peak') ?? this.read('memory.current') ?? '0';
    return {
      cpuMs: Math.round(keyedValue(this.read('cpu.stat'), 'usage_usec') / 1000),
      peakMemoryBytes: Number(peak.trim()) || 0,
      ...this.limitHits(),
      peakPids: Number(this.read('pids.peak') ?? 0) || 0,
    };
  }

  limitHits(): LimitHits {
    return {
      oomKills: keyedValue(this.memoryEvents.read(), 'oom_kill'),
      pidsLimitHits: keyedValue(this.pidsEvents.read(), 'max'),
    };
  }

  async freeze(): Promise<void> {
    writeCgroupFile(join(this.dir, 'cgroup.freeze'), '1');
    await waitFor(() => keyedValue(this.read('cgroup.events'), 'frozen') === 1, 1000);
  }

  thaw(): void {
    writeCgroupFile(join(this.dir, 'cgroup.freeze'), '0');
  }

  async kill(): Promise<void> {
    if (this.pids().length === 0) return;
    const killFile = join(this.dir, 'cgroup.kill');
    if (existsSync(killFile)) {
      writeCgroupFile(killFile, '1');
    } else {
      await this.freeze();
      for (const pid of this.pids()) signalPid(pid, 'SIGKILL');
      this.thaw();
    }
    await killPidsUntilEmpty(this.paths);
  }

  async remove(): Promise<void> {
    await this.kill();
    this.memoryEvents.close();
    this.pidsEvents.close();
    await removeDir(this.dir);
  }
}
