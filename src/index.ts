/**
 * cordon's library entry point: the same capabilities as the CLI, with typed results.
 * @example
 *   import { CordonRuntime, loadPolicyFile } from 'cordon';
 *   const rt = await CordonRuntime.start();
 *   const { report } = await rt.run(['python3', 'agent.py'], { policy: loadPolicyFile('p.yaml') });
 */
export * from './errors.js';
export * from './policy/index.js';
export * from './events/index.js';
export * from './report/index.js';
export { Sandbox, runSandboxed, probeHost, newSandboxId } from './sandbox/index.js';
export type {
  RunOptions,
  RunResult,
  ExecOptions,
  ExecResult,
  SandboxOptions,
  SandboxHandle,
} from './sandbox/index.js';
export { CordonRuntime, type RuntimeOptions, type RunOutcome } from './runtime/index.js';
export { NetworkCordon, classify } from './net/index.js';
export { Monitor } from './monitor/index.js';
export { Detector, RULES, verdictOf, summarize } from './detect/index.js';
export { AuditStore, verify as verifyAudit } from './audit/index.js';
export {
  startServer,
  createApp,
  type RunningServer,
  type StartServerOptions,
} from './server/index.js';
export { CordonClient } from './client/index.js';
