/** Sandbox: bubblewrap + cordon-init + cgroups. One-shot runs, live sandboxes, host probe. */
export { runSandboxed } from './run.js';
export { Sandbox } from './sandbox.js';
export {
  findExecutable,
  probeHost,
  type HostFacts,
  type CgroupFacts,
  type CgroupLayout,
} from './host.js';
export { sandboxHostChecks, type HostCheck } from './host-checks.js';
export { collectLeftovers, newSandboxId } from './launch.js';
export { nativeHelperPath, cordonPackageRoot, type NativeHelper } from './native.js';
export { fastSpawnAvailable } from './fast-spawn.js';
export type {
  CgroupInfo,
  DeniedSyscall,
  ExecOptions,
  ExecResult,
  ExtraBind,
  LimitEvent,
  NetworkAttachment,
  ProcessOutcome,
  RunOptions,
  RunResult,
  SandboxHandle,
  SandboxMonitor,
  SandboxOptions,
  WatchTarget,
} from './types.js';
export type {
  InitEvent,
  InitFrame,
  ExecRequest,
  InitExecOptions,
  InitExecResult,
} from './init-protocol.js';
