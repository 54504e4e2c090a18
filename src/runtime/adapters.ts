/**
 * Glue between layers that do not know each other: the sandbox's monitor hook onto the Monitor,
 * the sandbox handle onto the detector's Responder, and step attribution from lifecycle events.
 */
import { basename, dirname } from 'node:path';
import type { Responder } from '../detect/index.js';
import type { Attribution, EventBus } from '../events/index.js';
import type { Monitor } from '../monitor/index.js';
import type { SandboxHandle, SandboxMonitor, WatchTarget } from '../sandbox/index.js';

/** Which step each sandbox is in, from step.start/step.end events (one active step at a time). */
export class StepTracker {
  private readonly active = new Map<string, string[]>();
  private readonly off: () => void;

  constructor(bus: EventBus) {
    this.off = bus.subscribe(
      (e) => {
        if (!e.stepId) return;
        const steps = this.active.get(e.sandboxId) ?? [];
        if (e.kind === 'step.start') steps.push(e.stepId);
        else {
          const i = steps.indexOf(e.stepId);
          if (i >= 0) steps.splice(i, 1);
        }
        if (steps.length) this.active.set(e.sandboxId, steps);
        else this.active.delete(e.sandboxId);
      },
      { filter: (e) => e.kind === 'step.start' || e.kind === 'step.end' },
    );
  }

  /** The step a sandbox is in when exactly one exec is running; otherwise none can be claimed. */
  stepOf(sandboxId: string): string | undefined {
    const steps = this.active.get(sandboxId);
    return steps?.length === 1 ? steps[0] : undefined;
  }

  close(): void {
    this.off();
  }
}

function v1Dir(paths: readonly string[], controller: string): string | undefined {
  return paths.find((p) => basename(dirname(dirname(p))) === controller);
}

/** Adapts the Monitor to the sandbox's watch hook, with live step attribution. */
export function monitorHook(
  monitor: Monitor,
  attribution: (target: WatchTarget) => Attribution,
): SandboxMonitor {
  return {
    watch: (target) => {
      const paths = target.cgroupPaths;
      const v1 = paths.some((p) => p.includes('/sys/fs/cgroup/pids/'));
      const unified = paths.find((p) => p.includes('/unified/')) ?? (v1 ? undefined : paths[0]);
      const procsDir = v1 ? (v1Dir(paths, 'pids') ?? paths[0] ?? '') : (paths[0] ?? '');
      return monitor.watch({
        sandboxId: target.sandboxId,
        cgroupId: target.cgroupV2Id ?? undefined,
        cgroupProcsPath: `${procsDir}/cgroup.procs`,
        cgroupV2Dir: unified,
        cpuacctPath: v1 ? v1Dir(paths, 'cpuacct') : undefined,
        cpuStatPath: v1 ? undefined : unified,
        memoryPath: v1 ? v1Dir(paths, 'memory') : unified,
        attribution: () => attribution(target),
        // Publish eBPF events only from cordon-init's exec on: bwrap's own setns/mount/unshare
        // during set-up are not the agent's (they made every live sandbox look like an escape).
        armOnExec: '/.cordon/init',
        skipOwnPidNamespace: true,
        gpu: target.gpu,
      });
    },
  };
}

/** The detector acts on a sandbox through its handle. */
export function responderOf(handle: SandboxHandle): Responder {
  return {
    killTree: (pid) => handle.killTree(pid),
    freeze: () => handle.freeze(),
    terminate: (reason) => handle.terminate(reason),
  };
}
