/** The monitor layer: eBPF (bpftrace), /proc and cgroup samplers publishing onto the bus. */
export {
  Monitor,
  type Coverage,
  type MonitorOptions,
  type MonitorTarget,
  type Signal,
  type SignalCoverage,
} from './monitor.js';
export { BpfMonitor, type BpfMonitorOptions, type BpfWatch, type BpfCoverage } from './bpftrace.js';
export { ProcSampler, cgroupPids, type ProcTarget, type SamplerMode } from './proc-sampler.js';
export { CpuSampler, readCpuMs, type CpuTarget } from './cpu-sampler.js';
export { GpuUsage, parseComputeApps, type GpuUsageOptions } from './gpu-usage.js';
export {
  probeMonitor,
  ensureTracefs,
  hostCgroupIds,
  cgroup2Root,
  type MonitorProbe,
} from './probe.js';
export { matchSensitive } from './sensitive-paths.js';
export { fdKind, argv0Mismatch, type Stdio } from './proc-facts.js';
export { StepTracker, type SandboxWatchTarget } from './sandbox-target.js';
