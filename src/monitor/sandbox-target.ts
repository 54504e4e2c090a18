/**
 * Adapts the sandbox layer's watch target (`src/sandbox/types.ts` WatchTarget: cgroup paths and
 * v2 id, no step) to the monitor's. Declared structurally so monitor/ does not depend on sandbox/'s
 * types. Steps come from the bus: the sandbox publishes `step.start`/`step.end` (and a one-shot run's
 * step on `sandbox.start`); the latest open step of a sandbox is the one its events carry.
 */
import { basename, join, relative } from 'node:path';
import type { Attribution, EventBus } from '../events/index.js';
import { cgroup2Root } from './probe.js';

export interface SandboxWatchTarget {
  sandboxId: string;
  episodeId?: string | undefined;
  labels?: Readonly<Record<string, string>>;
  cgroupV2Id: number | null;
  cgroupPaths: readonly string[];
  hostPids?: () => number[];
  /** The sandbox was granted a GPU (policy `devices.gpu`). */
  gpu?: boolean | undefined;
}

export interface ResolvedTarget {
  sandboxId: string;
  cgroupId?: number | undefined;
  cgroupProcsPath: string;
  cgroupV2Dir?: string | undefined;
  cpuacctPath?: string | undefined;
  cpuStatPath?: string | undefined;
  memoryPath?: string | undefined;
  attribution: () => Attribution;
  armOnExec?: string | ((filename: string) => boolean) | undefined;
  skipOwnPidNamespace?: boolean;
  gpu?: boolean | undefined;
}

/** Programs that run in the sandbox's cgroup before its init: cordon's, not the agent's. */
const LAUNCHERS = new Set(['cordon-launch', 'bwrap']);

/** Tracks the open steps of each sandbox from lifecycle events on the bus. */
export class StepTracker {
  private readonly open = new Map<string, string[]>();
  private readonly last = new Map<string, string>();
  readonly off: () => void;

  constructor(bus: EventBus) {
    this.off = bus.subscribe(
      (e) => {
        if (!e.stepId) return;
        const steps = this.open.get(e.sandboxId) ?? [];
        if (e.kind === 'sandbox.start') this.last.set(e.sandboxId, e.stepId);
        else if (e.kind === 'step.start') {
          this.open.set(e.sandboxId, [...steps, e.stepId]);
          this.last.set(e.sandboxId, e.stepId);
        } else {
          const rest = steps.filter((s) => s !== e.stepId);
          if (rest.length > 0) this.open.set(e.sandboxId, rest);
          else this.open.delete(e.sandboxId);
        }
      },
      {
        filter: (e) =>
          e.kind === 'step.start' || e.kind === 'step.end' || e.kind === 'sandbox.start',
      },
    );
  }

  /**
   * The most recently started step still open, else the last one started: work left running
   * after a step returned (a backgrounded miner) belongs to the step that launched it.
   */
  current(sandboxId: string): string | undefined {
    return this.open.get(sandboxId)?.at(-1) ?? this.last.get(sandboxId);
  }

  forget(sandboxId: string): void {
    this.open.delete(sandboxId);
    this.last.delete(sandboxId);
  }
}

export function resolveSandboxTarget(t: SandboxWatchTarget, steps: StepTracker): ResolvedTarget {
  const root = cgroup2Root();
  const inV2 = (dir: string): boolean => !!root && !relative(root, dir).startsWith('..');
  const v2Dir = t.cgroupPaths.find(inV2);
  const v1 = (controller: string): string | undefined =>
    t.cgroupPaths.find(
      (d) => !inV2(d) && d.split('/').some((part) => part.split(',').includes(controller)),
    );
  const procsDir = v2Dir ?? v1('pids') ?? t.cgroupPaths[0] ?? '';
  return {
    sandboxId: t.sandboxId,
    cgroupId: t.cgroupV2Id ?? undefined,
    cgroupProcsPath: join(procsDir, 'cgroup.procs'),
    cgroupV2Dir: v2Dir,
    cpuacctPath: v1('cpuacct'),
    cpuStatPath: v2Dir,
    memoryPath: v1('memory') ?? v2Dir,
    attribution: () => ({
      sandboxId: t.sandboxId,
      episodeId: t.episodeId,
      stepId: steps.current(t.sandboxId),
    }),
    armOnExec: (filename) => !LAUNCHERS.has(basename(filename)),
    skipOwnPidNamespace: true,
    gpu: t.gpu,
  };
}
