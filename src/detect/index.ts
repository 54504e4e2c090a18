/**
 * Detection: pure rules over bus events, the detector that runs them and carries out responses,
 * and the verdict of a run.
 */
export { Detector, actionFor, type DetectorOptions, type Responder } from './detector.js';
export { defineRule, execHit, type Rule, type RuleHit } from './rule.js';
export { RULES } from './rules/index.js';
export {
  SandboxState,
  isWriteAccess,
  type CpuWindow,
  type DnsRecord,
  type FileRecord,
  type FlowRecord,
  type ProcInfo,
  type ReadonlyState,
} from './state.js';
export { verdictOf, summarize, summarizeFinding } from './verdict.js';
