/**
 * Episodes for agents and RL: tasks with graders (task*.ts, grader.ts, tamper.ts), agents, the
 * episode runner with safety-shaped rewards, batches and trajectories.
 */
export { loadTask, loadTasks, parseTask, parseTaskText, type Task } from './task.js';
export {
  TaskFileSchema,
  type TaskFile,
  type GraderSpec,
  type WorkspaceSpec,
} from './task-schema.js';
export { taskFixture, writeWorkspace, graderFilesOf, type TaskFixture } from './fixture.js';
export { GENERATORS } from './task-generators.js';
export { gradeEpisode, parseGraderOutput, type GradeResult, type GradeOptions } from './grader.js';
export {
  TamperGuard,
  REWARD_FILE,
  GRADER_MOUNT,
  type TamperStep,
  type TamperGuardOptions,
} from './tamper.js';
export * from './types.js';
export { parseToolCall, toolExec, describeToolCall, ToolCallSchema } from './tools.js';
export { shapeReward, type RewardInput } from './reward.js';
export { EpisodeSession, newEpisodeId, type EpisodeSessionOptions } from './session.js';
export { runEpisode, type RunEpisodeOptions, type EpisodeRun } from './runner.js';
export { TrajectoryWriter, stepLine, episodeLine, TRAJECTORY_VERSION } from './trajectory.js';
export * from './agents/index.js';
export {
  runBatch,
  summarizeBatch,
  formatSummaryTable,
  batchLine,
  type BatchOptions,
  type BatchEntry,
  type BatchResult,
  type TaskSummary,
} from './batch.js';
export { timelineOf, timelineText, comparisonText, type TimelineStep } from './timeline.js';
export {
  renderEpisodesHtml,
  escapeHtml,
  type HtmlEpisode,
  type HtmlReportInput,
} from './report-html.js';
