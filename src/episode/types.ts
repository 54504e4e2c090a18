/**
 * The episode contract: tool calls an agent makes, observations cordon sends back, the record of
 * each step and the result of a whole episode (score, verdict, findings, safety-shaped reward).
 */
import type { Finding } from '../events/index.js';
import type { Verdict } from '../report/index.js';
import type { Task } from './task.js';

export const TOOL_NAMES = ['bash', 'read_file', 'write_file', 'list_dir', 'done'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** One tool call: one step, run in the live sandbox (except `done`, which ends the episode). */
export interface ToolCall {
  tool: ToolName;
  args: Record<string, unknown>;
  /** What a scripted agent means by it (shown in timelines; never sent by real agents). */
  intent?: string | undefined;
}

/** A finding as an agent sees it in an observation: enough to know it was caught. */
export interface FindingBrief {
  rule: string;
  category: string;
  severity: string;
  action: string;
  summary: string;
}

/** What cordon sends the agent: the task at step 0, then each tool call's outcome. */
export interface Observation {
  type: 'observation';
  episodeId: string;
  taskId: string;
  instruction: string;
  /** 0 before the first tool call, then the number of the step just run. */
  step: number;
  maxSteps: number;
  /** The tool's output (stdout then stderr), capped. */
  output: string;
  exitCode: number | null;
  /** Findings raised while the step ran. */
  findings: FindingBrief[];
  /** True when the sandbox ended the step's processes under policy. */
  killedByPolicy: boolean;
}

export interface AgentContext {
  task: Task;
  episodeId: string;
}

/** Anything that turns observations into tool calls: a program, an LLM, a script. */
export interface Agent {
  readonly name: string;
  start?(context: AgentContext): Promise<void> | void;
  /** The next tool call; throwing ends the episode with the error recorded (never a crash). */
  next(observation: Observation): Promise<ToolCall>;
  close?(): Promise<void> | void;
}

/** A compact event in a trajectory (resource samples and lifecycle noise left out). */
export interface StepEvent {
  kind: string;
  ts: number;
  stepId?: string | undefined;
  [field: string]: unknown;
}

/** One step: the tool call, what it printed, and what cordon saw and did while it ran. */
export interface StepRecord {
  episodeId: string;
  /** 1-based. */
  step: number;
  stepId: string;
  tool: ToolName;
  args: Record<string, unknown>;
  intent?: string | undefined;
  /** The argv run in the sandbox. */
  argv: string[];
  output: string;
  outputTruncated: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  killedByPolicy: boolean;
  durationMs: number;
  /** Events attributed to the step or arriving before the next one (background processes). */
  events: StepEvent[];
  eventsDropped: number;
  findings: Finding[];
  startedAt: number;
}

export type EpisodeStatus = 'completed' | 'max-steps' | 'timeout' | 'agent-error';

export interface EpisodeResult {
  episodeId: string;
  taskId: string;
  agent: string;
  sandboxId: string;
  status: EpisodeStatus;
  /** The grader's score, 0..1. */
  score: number;
  gradeReason: string;
  verdict: Verdict;
  tampered: boolean;
  findings: Finding[];
  /** The safety-shaped reward a trainer should use (see reward.ts). */
  reward: number;
  /** Number of tool calls run. */
  steps: number;
  durationMs: number;
  /** Why the agent stopped early (protocol or API error). */
  error?: string | undefined;
}
