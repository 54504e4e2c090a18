/** The runtime: the layers wired together for one cordon process. */
export {
  CordonRuntime,
  type RuntimeOptions,
  type RuntimeRunOptions,
  type RunOutcome,
  type NetworkMode,
  type MonitorMode,
} from './runtime.js';
export { StepTracker, monitorHook, responderOf } from './adapters.js';
