/**
 * The runtime wires the layers for a cordon process: one event bus, one monitor, one network cordon
 * and one detector shared by every sandbox, and optionally the audit store. `run()` is what
 * `cordon run` does; `createSandbox()` gives live sandboxes for the API and episodes. Each missing
 * piece is either refused (fail closed) or recorded in the coverage that every report carries.
 */
import type { AuditStore } from '../audit/index.js';
import { Detector, verdictOf, type Responder } from '../detect/index.js';
import { CordonError } from '../errors.js';
import { EventBus, type CordonEvent, type Finding } from '../events/index.js';
import type { Monitor } from '../monitor/index.js';
import type { NetworkCordon } from '../net/index.js';
import { presetPolicy, type Policy } from '../policy/index.js';
import { buildReport, type Report } from '../report/index.js';
import {
  collectLeftovers,
  findExecutable,
  newSandboxId,
  probeHost,
  runSandboxed,
  Sandbox,
  type RunOptions,
  type RunResult,
  type SandboxOptions,
} from '../sandbox/index.js';
import { monitorHook, responderOf, StepTracker } from './adapters.js';

export type NetworkMode = 'auto' | 'cordon' | 'loopback';
export type MonitorMode = 'ebpf' | 'proc' | 'off';

export interface RuntimeOptions {
  bus?: EventBus;
  /** `auto` (default): the network cordon when the host supports it, else loopback only. */
  network?: NetworkMode;
  monitor?: MonitorMode;
  /** Persist every event and finding in the audit store under this directory. */
  dataDir?: string | undefined;
  /** Log a layer that could not start (the coverage records it either way). */
  onWarning?: (message: string) => void;
}

export interface RuntimeRunOptions extends Omit<
  RunOptions,
  'bus' | 'monitor' | 'network' | 'onStart'
> {
  policySource?: string;
}

export interface RunOutcome {
  result: RunResult;
  report: Report;
  findings: Finding[];
}

type Coverage = Report['coverage'];

/** The most GPU memory a run's processes held at once, from its resource samples. */
function peakGpuMemory(events: readonly CordonEvent[]): number {
  let peak = 0;
  for (const e of events)
    if (e.kind === 'resource.sample' && e.gpuMemoryBytes !== undefined)
      peak = Math.max(peak, e.gpuMemoryBytes);
  return peak;
}

const MAX_EVENTS_PER_RUN = 200_000;

export class CordonRuntime {
  readonly bus: EventBus;
  readonly detector: Detector;
  private readonly steps: StepTracker;
  private readonly policies = new Map<string, Policy>();
  private readonly responders = new Map<string, Responder>();
  private networkReason: string | undefined;

  private constructor(
    private readonly options: RuntimeOptions,
    bus: EventBus,
    readonly monitor: Monitor | undefined,
    readonly network: NetworkCordon | undefined,
    readonly audit: AuditStore | undefined,
    networkReason: string | undefined,
  ) {
    this.bus = bus;
    this.networkReason = networkReason;
    this.steps = new StepTracker(bus);
    this.detector = new Detector({
      bus,
      policyFor: (id) => this.policies.get(id),
      responderFor: (id) => this.responders.get(id),
    });
    this.detector.start();
  }

  /**
   * @example const rt = await CordonRuntime.start(); const { report } = await rt.run(['true']); await rt.close();
   */
  static async start(options: RuntimeOptions = {}): Promise<CordonRuntime> {
    const bus = options.bus ?? new EventBus();
    await collectLeftovers().catch(() => []);
    // The audit store, the monitor and the network cordon are imported only when asked for:
    // `cordon run --no-audit --monitor off --network loopback` starts ~40 modules and
    // better-sqlite3 lighter.
    const audit = options.dataDir
      ? (await import('../audit/index.js')).AuditStore.open({ dataDir: options.dataDir })
      : undefined;
    audit?.attachToBus(bus);
    const monitorMode = options.monitor ?? 'ebpf';
    const monitor =
      monitorMode === 'off'
        ? undefined
        : (await import('../monitor/index.js')).Monitor.start({
            bus,
            prefer: monitorMode,
            nvidiaSmi: probeHost().gpuNodes.some((n) => n.startsWith('/dev/nvidia'))
              ? findExecutable('nvidia-smi')
              : null,
            onError: (e) => options.onWarning?.(`monitor: ${e.message}`),
          });
    let network: NetworkCordon | undefined;
    let networkReason: string | undefined;
    const mode = options.network ?? 'auto';
    if (mode === 'loopback')
      networkReason = 'network cordon not requested: loopback only, no egress';
    else {
      const { NetworkCordon } = await import('../net/index.js');
      try {
        network = await NetworkCordon.start({ bus });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (mode === 'cordon') {
          audit?.close();
          throw new CordonError(
            'CORDON_E_NETWORK_SETUP',
            `The network cordon could not start: ${message}`,
            { cause: error },
          );
        }
        networkReason = `network cordon unavailable (${message}): loopback only, no egress`;
        options.onWarning?.(networkReason);
      }
    }
    return new CordonRuntime(options, bus, monitor, network, audit, networkReason);
  }

  /** Which signals are live for sandboxes started now. */
  coverage(seccomp?: RunResult['seccomp'], gpu = false): Coverage {
    const cov: Coverage = {};
    if (this.monitor) Object.assign(cov, this.monitor.coverage());
    else
      for (const s of ['exec', 'file', 'connect', 'syscall', 'fd', 'cpu'])
        cov[s] = { live: false, reason: 'monitoring off' };
    cov.network = this.network
      ? { live: true, source: 'transparent proxy + dns' }
      : { live: false, reason: this.networkReason ?? 'network cordon off' };
    if (gpu) {
      cov.gpu = this.monitor?.gpuCoverage() ?? { live: false, reason: 'monitoring off' };
    }
    if (seccomp) {
      cov.seccomp =
        seccomp === 'notify'
          ? { live: true, source: 'seccomp user notification' }
          : {
              live: false,
              reason: `seccomp mode ${seccomp}: denials are enforced but not reported`,
            };
    }
    return cov;
  }

  private attributionFor(sandboxId: string, episodeId: string | undefined) {
    return () => ({ sandboxId, episodeId, stepId: this.steps.stepOf(sandboxId) });
  }

  private async hooks(sandboxId: string, policy: Policy, episodeId: string | undefined) {
    const attribution = this.attributionFor(sandboxId, episodeId);
    if (!this.network && policy.network.allow.length > 0) {
      // Fail closed and say so: the policy asks for egress that cordon cannot police here.
      throw new CordonError(
        'CORDON_E_NETWORK_SETUP',
        `network.allow is set but ${this.networkReason ?? 'the network cordon is off'}`,
      );
    }
    const network = this.network
      ? await this.network.attach(sandboxId, policy, attribution)
      : undefined;
    const monitor = this.monitor ? monitorHook(this.monitor, () => attribution()) : undefined;
    return { network, monitor };
  }

  /** Runs one command in a fresh sandbox and assembles its report. */
  async run(argv: readonly string[], options: RuntimeRunOptions = {}): Promise<RunOutcome> {
    const policy = options.policy ?? presetPolicy();
    const sandboxId = options.sandboxId ?? newSandboxId();
    const events: CordonEvent[] = [];
    const off = this.bus.subscribe(
      (e) => void (events.length < MAX_EVENTS_PER_RUN && events.push(e)),
      {
        filter: (e) => e.sandboxId === sandboxId,
      },
    );
    this.policies.set(sandboxId, policy);
    let hooks: Awaited<ReturnType<CordonRuntime['hooks']>>;
    try {
      hooks = await this.hooks(sandboxId, policy, options.episodeId);
    } catch (error) {
      off();
      this.policies.delete(sandboxId);
      throw error;
    }
    const { network, monitor } = hooks;
    let result: RunResult;
    try {
      result = await runSandboxed(argv, {
        ...options,
        policy,
        sandboxId,
        bus: this.bus,
        ...(network ? { network } : {}),
        ...(monitor ? { monitor } : {}),
        onStart: (handle) => this.responders.set(sandboxId, responderOf(handle)),
      });
      await this.detector.settled();
    } finally {
      try {
        // Flows made just before the end are published while the network detaches: keep
        // collecting until then, so the report has them.
        await network?.detach();
        await this.detector.settled();
      } finally {
        off();
        this.responders.delete(sandboxId);
      }
    }
    const findings = this.detector.findings(sandboxId);
    this.detector.forget(sandboxId);
    this.policies.delete(sandboxId);
    const report = buildReport({
      sandboxId,
      episodeId: options.episodeId,
      labels: options.labels ?? {},
      command: [...argv],
      workspace: result.workspace,
      policy,
      policySource: options.policySource,
      startedAt: result.startedAt,
      endedAt: result.endedAt,
      exit: {
        code: result.exitCode,
        signal: result.signal,
        timedOut: result.timedOut,
        killedByPolicy: result.killedByPolicy,
        oomKilled: result.oomKilled,
        ...(result.reason ? { reason: result.reason } : {}),
      },
      resources: {
        cgroup: result.cgroup,
        cpuMs: result.cpuMs,
        peakMemoryBytes: result.peakMemoryBytes,
        peakPids: result.peakPids,
        ...(policy.devices.gpu ? { peakGpuMemoryBytes: peakGpuMemory(events) } : {}),
      },
      networkMode: network ? 'cordon' : 'loopback',
      events,
      findings,
      coverage: this.coverage(result.seccomp, policy.devices.gpu),
      verdict: verdictOf(findings),
    });
    return { result, report, findings };
  }

  /** A live sandbox (exec many times in the same namespaces), watched and policed like a run. */
  async createSandbox(
    options: Omit<SandboxOptions, 'bus' | 'monitor' | 'network'> = {},
  ): Promise<Sandbox> {
    const policy = options.policy ?? presetPolicy();
    const sandboxId = options.sandboxId ?? newSandboxId();
    this.policies.set(sandboxId, policy);
    let hooks: Awaited<ReturnType<CordonRuntime['hooks']>>;
    try {
      hooks = await this.hooks(sandboxId, policy, options.episodeId);
    } catch (error) {
      this.policies.delete(sandboxId);
      throw error;
    }
    const { network, monitor } = hooks;
    try {
      const sandbox = await Sandbox.create({
        ...options,
        policy,
        sandboxId,
        bus: this.bus,
        ...(network ? { network } : {}),
        ...(monitor ? { monitor } : {}),
      });
      this.responders.set(sandboxId, responderOf(sandbox));
      const destroy = sandbox.destroy.bind(sandbox);
      sandbox.destroy = async () => {
        try {
          await destroy();
        } finally {
          await network?.detach();
          this.responders.delete(sandboxId);
          this.policies.delete(sandboxId);
        }
      };
      return sandbox;
    } catch (error) {
      await network?.detach();
      this.policies.delete(sandboxId);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.detector.stop();
    this.steps.close();
    await this.network?.close();
    await this.monitor?.stop();
    this.audit?.close();
  }
}
