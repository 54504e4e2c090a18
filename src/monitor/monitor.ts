/**
 * The monitor a cordon process starts once and shares with its sandboxes: eBPF (bpftrace) when the
 * host allows it, else the /proc sampler for execs and stdio turned into sockets; the
 * cgroup CPU sampler always; GPU accounting (nvidia-smi) for sandboxes granted a GPU. `coverage()`
 * says which signals are live, so a clean verdict is never claimed on signals that were off.
 */
import { relative } from 'node:path';
import type { CordonError } from '../errors.js';
import type { Attribution, EventBus } from '../events/index.js';
import { BpfMonitor } from './bpftrace.js';
import { CpuSampler } from './cpu-sampler.js';
import { GpuUsage } from './gpu-usage.js';
import { cgroup2Root, cgroupIdOf, probeMonitor, type MonitorProbe } from './probe.js';
import { ProcSampler, procsDir } from './proc-sampler.js';
import { resolveSandboxTarget, StepTracker, type SandboxWatchTarget } from './sandbox-target.js';

export type Signal = 'exec' | 'file' | 'connect' | 'syscall' | 'fd' | 'cpu';
export interface SignalCoverage {
  live: boolean;
  source?: string;
  reason?: string;
}
export type Coverage = Record<Signal, SignalCoverage>;

export interface MonitorOptions {
  bus: EventBus;
  /** `ebpf` (default): bpftrace, falling back to /proc; `proc`: never start bpftrace. */
  prefer?: 'ebpf' | 'proc';
  onError?: (error: CordonError) => void;
  procIntervalMs?: number;
  cpuIntervalMs?: number;
  /**
   * nvidia-smi's path, for GPU accounting of sandboxes granted a GPU; null or absent: the host has
   * no NVIDIA GPU or no nvidia-smi (coverage says so for such sandboxes).
   */
  nvidiaSmi?: string | null | undefined;
  gpuIntervalMs?: number;
}

export interface MonitorTarget {
  sandboxId: string;
  /** cgroup2 id (inode of the v2 directory); derived from the paths below when absent. */
  cgroupId?: number | undefined;
  /** The sandbox's cgroup.procs (v2 directory, or the v1 pids/cpuacct one). */
  cgroupProcsPath: string;
  /** The v2 directory, when it is not the one holding cgroupProcsPath (hybrid hosts). */
  cgroupV2Dir?: string | undefined;
  cpuacctPath?: string | undefined;
  cpuStatPath?: string | undefined;
  memoryPath?: string | undefined;
  attribution: () => Attribution;
  /**
   * The sandbox's init path (e.g. `/.cordon/init`): eBPF events are published only from its exec
   * on, so bubblewrap's own mounts and unshares are not taken for the agent's.
   */
  armOnExec?: string | ((filename: string) => boolean) | undefined;
  /** The target is a sandbox with its own pid namespace: see ProcTarget.skipOwnPidNamespace. */
  skipOwnPidNamespace?: boolean;
  /** The sandbox was granted a GPU: account its GPU memory. */
  gpu?: boolean | undefined;
}

export class Monitor {
  private readonly bpf: BpfMonitor | undefined;
  private readonly proc: ProcSampler;
  private readonly cpu: CpuSampler;
  private readonly gpu: GpuUsage | undefined;
  private bpfReason: string | undefined;
  private cpuReason: string | undefined = 'no sandbox watched yet';
  private steps: StepTracker | undefined;

  private constructor(private readonly options: MonitorOptions) {
    this.proc = new ProcSampler({ bus: options.bus, intervalMs: options.procIntervalMs });
    this.gpu = options.nvidiaSmi
      ? new GpuUsage({ nvidiaSmi: options.nvidiaSmi, intervalMs: options.gpuIntervalMs })
      : undefined;
    this.cpu = new CpuSampler({
      bus: options.bus,
      intervalMs: options.cpuIntervalMs,
      gpu: this.gpu,
    });
    if ((options.prefer ?? 'ebpf') === 'ebpf') {
      this.bpf = BpfMonitor.start({
        bus: options.bus,
        onError: (error) => {
          this.bpfReason = error.message;
          // Execs must not go dark: every sandbox falls back to the sampler's full mode.
          this.proc.setMode('full');
          options.onError?.(error);
        },
      });
    } else {
      this.bpfReason = 'eBPF not requested (prefer: proc)';
    }
  }

  /**
   * Starts monitoring for this cordon process. bpftrace compiles and attaches in the background
   * (about 3 s of CPU on a 2-core VM); `watch()` waits for it.
   * @example const monitor = Monitor.start({ bus }); const off = await monitor.watch(target);
   */
  static start(options: MonitorOptions): Monitor {
    return new Monitor(options);
  }

  /** The eBPF source, when one was started (stats, pid, sync). */
  get ebpf(): BpfMonitor | undefined {
    return this.bpf;
  }

  /** Host check for `cordon doctor`. */
  static probe(): MonitorProbe {
    return probeMonitor();
  }

  /** Resolves once eBPF is attached or known to be unavailable (never rejects). */
  async ready(): Promise<void> {
    await this.bpf?.ready.catch(() => undefined);
  }

  /**
   * Monitors one sandbox; resolves once its monitoring is live, to the function that stops it.
   * Takes the monitor's own target or the sandbox layer's (`cgroupPaths`, `cgroupV2Id`), whose
   * steps are then followed from the bus and whose launcher (bwrap) events are left out.
   */
  async watch(input: MonitorTarget | SandboxWatchTarget): Promise<() => void> {
    let forget: (() => void) | undefined;
    let target: MonitorTarget;
    if ('cgroupPaths' in input) {
      this.steps ??= new StepTracker(this.options.bus);
      const steps = this.steps;
      target = resolveSandboxTarget(input, steps);
      forget = () => steps.forget(input.sandboxId);
    } else target = input;
    await this.ready();
    const offs: (() => void)[] = [];
    const v2Dir = target.cgroupV2Dir ?? v2DirOf(procsDir(target.cgroupProcsPath));
    const cgroupId = target.cgroupId ?? (v2Dir ? (cgroupIdOf(v2Dir) ?? undefined) : undefined);
    const useBpf = !!this.bpf && this.bpf.coverage().live && cgroupId !== undefined;
    if (useBpf) {
      offs.push(
        this.bpf.watch({
          sandboxId: target.sandboxId,
          cgroupId,
          cgroupDir: v2Dir,
          attribution: target.attribution,
          armOnExec: target.armOnExec,
        }),
      );
    }
    offs.push(
      this.proc.watch({
        sandboxId: target.sandboxId,
        cgroupProcsPath: target.cgroupProcsPath,
        attribution: target.attribution,
        mode: useBpf ? 'idle' : 'full',
        skipOwnPidNamespace: target.skipOwnPidNamespace,
      }),
    );
    if (CpuSampler.canSample(target)) {
      this.cpuReason = undefined;
      offs.push(this.cpu.watch(target));
      offs.push(this.followSteps(target.sandboxId));
    } else {
      this.cpuReason = `no readable cpu accounting for ${target.sandboxId}`;
    }
    if (forget) offs.push(forget);
    return () => {
      // What is already in the pipe is published while the sandbox's steps are still known.
      this.drain();
      offs.forEach((off) => off());
    };
  }

  /**
   * Keeps `resource.sample.afterCommand` true while no exec (step) of the sandbox runs: work still
   * burning then is what outlived the agent's command.
   */
  private followSteps(sandboxId: string): () => void {
    let running = 0;
    return this.options.bus.subscribe(
      (e) => {
        running = Math.max(0, running + (e.kind === 'step.start' ? 1 : -1));
        this.cpu.setAfterCommand(sandboxId, running === 0);
      },
      {
        filter: (e) =>
          e.sandboxId === sandboxId && (e.kind === 'step.start' || e.kind === 'step.end'),
      },
    );
  }

  /** Flags that the sandbox's command has returned, for `resource.sample.afterCommand`. */
  setAfterCommand(sandboxId: string, afterCommand: boolean): void {
    this.cpu.setAfterCommand(sandboxId, afterCommand);
  }

  /** Publishes the events of every line bpftrace has written so far (see BpfMonitor.drain). */
  drain(): void {
    this.bpf?.drain();
  }

  /** Resolves once every eBPF event before the call has been published (no-op without eBPF). */
  async flush(): Promise<void> {
    if (this.bpf?.coverage().live) await this.bpf.sync().catch(() => undefined);
    this.proc.scanAll();
  }

  coverage(): Coverage {
    const live = this.bpf?.coverage();
    const reason = live?.live ? undefined : (live?.reason ?? this.bpfReason ?? 'eBPF unavailable');
    const ebpf: SignalCoverage = live?.live
      ? { live: true, source: 'ebpf' }
      : { live: false, reason: `eBPF unavailable: ${reason}` };
    return {
      exec: live?.live
        ? ebpf
        : {
            live: true,
            source: 'proc',
            reason: `eBPF unavailable (${reason}): sampled every ${this.options.procIntervalMs ?? 200} ms, short-lived processes can be missed`,
          },
      file: ebpf,
      connect: ebpf,
      syscall: ebpf,
      fd: live?.live ? ebpf : { live: true, source: 'proc' },
      cpu: this.cpuReason
        ? { live: false, reason: this.cpuReason }
        : { live: true, source: 'cgroup' },
    };
  }

  /** Whether GPU use is accounted for sandboxes granted a GPU (their report's `gpu` signal). */
  gpuCoverage(): SignalCoverage {
    if (!this.gpu) return { live: false, reason: 'nvidia-smi not found: GPU use is not accounted' };
    if (this.gpu.lastError !== undefined) {
      return { live: false, reason: `nvidia-smi failed: ${this.gpu.lastError}` };
    }
    return { live: true, source: 'nvidia-smi' };
  }

  stop(): Promise<void> {
    this.proc.stop();
    this.cpu.stop();
    this.steps?.off();
    this.bpf?.stop();
    return Promise.resolve();
  }
}

/** `dir` when it lies in the cgroup2 hierarchy (so its inode is a cgroup2 id). */
function v2DirOf(dir: string): string | undefined {
  const root = cgroup2Root();
  return root && !relative(root, dir).startsWith('..') ? dir : undefined;
}
