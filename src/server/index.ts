/** The HTTP API of `cordon serve`: the app, the server, and the seams other layers plug into. */
export { createApp, OPEN_PATHS, type CreateAppOptions } from './app.js';
export { startServer, parseListen, type StartServerOptions, type RunningServer } from './start.js';
export {
  createRuntime,
  type CordonRuntimeLike,
  type Runtime,
  type RuntimeOptions as ServerRuntimeOptions,
} from './runtime.js';
export { loadOrCreateToken, tokenMatches } from './auth.js';
export {
  WorkspaceSandboxManager,
  type LaunchFn,
  type LaunchOptions,
  type LiveSandbox,
  type LiveExecResult,
} from './manager.js';
export { MemoryHistory } from './memory-history.js';
export { auditHistory } from './audit-history.js';
export {
  realLaunch,
  type NetworkAttacher,
  type LiveRegistry,
  type RealLaunchOptions,
} from './sandbox-launch.js';
export { Metrics } from './metrics.js';
export { openApiDocument } from './openapi.js';
export { errorBody, type ErrorBody } from './http-errors.js';
export * from './schemas.js';
export * from './types.js';
export { episodeRouter, type EpisodeRouter, type EpisodeRoutesOptions } from './routes/episodes.js';
