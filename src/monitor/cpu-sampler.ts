/**
 * Per-sandbox resource sampling from cgroup accounting: every `intervalMs` (default 500) a
 * `resource.sample` with cumulative CPU, the CPU used over the last window in cores, memory and
 * pid count, plus the caller-supplied `afterCommand` flag (work outliving the agent's command is
 * the throttled-miner signal). Reads v1 `cpuacct.usage` (ns) or v2 `cpu.stat` `usage_usec`.
 * For a sandbox granted a GPU, the sample also carries the GPU memory its processes hold
 * (gpu-usage.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Attribution, EventBus, ResourceSampleEvent } from '../events/index.js';
import type { GpuUsage } from './gpu-usage.js';
import { cgroupPids } from './proc-sampler.js';

export interface CpuTarget {
  sandboxId: string;
  /** v1 `cpuacct.usage` file, or the cpuacct directory. */
  cpuacctPath?: string | undefined;
  /** v2 `cpu.stat` file, or the v2 directory. */
  cpuStatPath?: string | undefined;
  /** v1 `memory.usage_in_bytes` / v2 `memory.current` file, or the directory. */
  memoryPath?: string | undefined;
  /** cgroup.procs, for the pid count. */
  cgroupProcsPath?: string | undefined;
  attribution: () => Attribution;
  /** The sandbox was granted a GPU: account the GPU memory its processes hold. */
  gpu?: boolean | undefined;
}

interface Watched {
  target: CpuTarget;
  lastCpuMs: number;
  lastAt: number;
  afterCommand: boolean;
  /** Stops GPU polling for this sandbox (set when GPU accounting runs for it). */
  releaseGpu?: () => void;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Cumulative CPU of the cgroup in ms, or undefined when no accounting file is readable. */
export function readCpuMs(target: CpuTarget): number | undefined {
  if (target.cpuacctPath) {
    const file = isDir(target.cpuacctPath)
      ? join(target.cpuacctPath, 'cpuacct.usage')
      : target.cpuacctPath;
    const ns = readText(file);
    if (ns !== undefined) return Number(ns.trim()) / 1e6;
  }
  if (target.cpuStatPath) {
    const file = isDir(target.cpuStatPath)
      ? join(target.cpuStatPath, 'cpu.stat')
      : target.cpuStatPath;
    const usec = /^usage_usec (\d+)/m.exec(readText(file) ?? '')?.[1];
    if (usec !== undefined) return Number(usec) / 1000;
  }
  return undefined;
}

export function readMemoryBytes(path: string | undefined): number {
  if (!path) return 0;
  const files = isDir(path)
    ? ['memory.current', 'memory.usage_in_bytes'].map((f) => join(path, f))
    : [path];
  for (const file of files) {
    const text = readText(file);
    if (text !== undefined) return Number(text.trim());
  }
  return 0;
}

export class CpuSampler {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;

  constructor(
    private readonly options: { bus: EventBus; intervalMs?: number; gpu?: GpuUsage | undefined },
  ) {
    this.intervalMs = options.intervalMs ?? 500;
  }

  /** True when at least one accounting file of `target` is readable. */
  static canSample(target: CpuTarget): boolean {
    return readCpuMs(target) !== undefined;
  }

  watch(target: CpuTarget): () => void {
    const entry: Watched = {
      target,
      lastCpuMs: readCpuMs(target) ?? 0,
      lastAt: performance.now(),
      afterCommand: false,
      ...(target.gpu && this.options.gpu ? { releaseGpu: this.options.gpu.acquire() } : {}),
    };
    this.watched.get(target.sandboxId)?.releaseGpu?.();
    this.watched.set(target.sandboxId, entry);
    this.timer ??= setInterval(() => this.sampleAll(), this.intervalMs).unref();
    return () => {
      entry.releaseGpu?.();
      if (this.watched.get(target.sandboxId) !== entry) return;
      this.watched.delete(target.sandboxId);
      if (this.watched.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Marks that the agent's command has returned (or a new one started). */
  setAfterCommand(sandboxId: string, afterCommand: boolean): void {
    const entry = this.watched.get(sandboxId);
    if (entry) entry.afterCommand = afterCommand;
  }

  sampleAll(): void {
    for (const sandboxId of this.watched.keys()) this.sample(sandboxId);
  }

  /** Takes one sample now and publishes it; returns it (undefined when not watched or unreadable). */
  sample(sandboxId: string): ResourceSampleEvent | undefined {
    const w = this.watched.get(sandboxId);
    if (!w) return undefined;
    const cpuMs = readCpuMs(w.target);
    if (cpuMs === undefined) return undefined;
    const now = performance.now();
    const windowMs = Math.max(1, now - w.lastAt);
    const cpuCores = Math.max(0, cpuMs - w.lastCpuMs) / windowMs;
    w.lastCpuMs = cpuMs;
    w.lastAt = now;
    const pids = w.target.cgroupProcsPath ? cgroupPids(w.target.cgroupProcsPath) : [];
    const gpu = w.releaseGpu ? this.options.gpu : undefined;
    return this.options.bus.publish<ResourceSampleEvent>({
      kind: 'resource.sample',
      ...w.target.attribution(),
      sandboxId,
      cpuMs: Math.round(cpuMs),
      cpuCores: Math.round(cpuCores * 1000) / 1000,
      memoryBytes: readMemoryBytes(w.target.memoryPath),
      pids: pids.length,
      afterCommand: w.afterCommand,
      ...(gpu ? { gpuMemoryBytes: gpu.memoryOf(pids) } : {}),
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const w of this.watched.values()) w.releaseGpu?.();
    this.watched.clear();
  }
}
