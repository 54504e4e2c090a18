/**
 * One episode, driven step by step: a live sandbox over a fresh copy of the task's workspace, each
 * tool call one exec (`step-<n>`), the tamper guard after every step, then grading from the
 * pristine grader, the verdict and the shaped reward. The runner and the HTTP API both drive it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { verdictOf, summarizeFinding } from '../detect/index.js';
import { CordonError } from '../errors.js';
import type { Finding } from '../events/index.js';
import type { CordonRuntime } from '../runtime/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { writeWorkspace } from './fixture.js';
import { gradeEpisode, type GradeResult } from './grader.js';
import { shapeReward } from './reward.js';
import { StepEvents } from './step-events.js';
import { TamperGuard } from './tamper.js';
import type { Task } from './task.js';
import { capText, toolExec } from './tools.js';
import type {
  EpisodeResult,
  EpisodeStatus,
  FindingBrief,
  Observation,
  StepRecord,
  ToolCall,
} from './types.js';

const OBSERVATION_CAP = 16 * 1024;
const TRAJECTORY_OUTPUT_CAP = 4 * 1024;
const MIN_STEP_TIMEOUT_MS = 1000;

export interface EpisodeSessionOptions {
  task: Task;
  /** Name recorded in results and labels. */
  agent: string;
  episodeId?: string | undefined;
  labels?: Record<string, string> | undefined;
  /** Called once a step's record is final (its late events are in): the trajectory writer. */
  onStepRecord?: ((record: StepRecord) => void) | undefined;
  /** Wait after each step so background flows land in it; default 100. */
  settleMs?: number | undefined;
}

export function newEpisodeId(): string {
  return `ep-${randomBytes(6).toString('hex')}`;
}

const brief = (f: Finding): FindingBrief => ({
  rule: f.rule,
  category: f.category,
  severity: f.severity,
  action: f.action,
  summary: summarizeFinding(f),
});

function uniqueById(findings: Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const f of findings) if (!seen.has(f.id)) seen.set(f.id, f);
  return [...seen.values()].sort((a, b) => a.ts - b.ts);
}

export class EpisodeSession {
  readonly startedAt = Date.now();
  private readonly records: StepRecord[] = [];
  private pendingRecord: StepRecord | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private finished: Promise<EpisodeResult> | undefined;
  /** Set once the sandbox can take no more steps (ended by policy). */
  ended = false;

  private constructor(
    private readonly runtime: CordonRuntime,
    readonly task: Task,
    readonly episodeId: string,
    readonly agent: string,
    private readonly sandbox: Sandbox,
    private readonly workspaceDir: string,
    private readonly events: StepEvents,
    private readonly guard: TamperGuard,
    private readonly options: EpisodeSessionOptions,
  ) {}

  /**
   * Starts the sandbox over a fresh copy of the task's workspace.
   * @example const s = await EpisodeSession.start(runtime, { task, agent: 'external' });
   */
  static async start(
    runtime: CordonRuntime,
    options: EpisodeSessionOptions,
  ): Promise<EpisodeSession> {
    const { task } = options;
    const episodeId = options.episodeId ?? newEpisodeId();
    const workspaceDir = mkdtempSync(join(tmpdir(), 'cordon-episode-'));
    try {
      writeWorkspace(task, workspaceDir);
      const sandbox = await runtime.createSandbox({
        policy: task.policy,
        workspace: workspaceDir,
        episodeId,
        labels: { task: task.id, agent: options.agent, episodeId, ...options.labels },
      });
      const events = new StepEvents(runtime.bus, sandbox.sandboxId);
      const guard = new TamperGuard({
        task,
        workspaceDir,
        runtime,
        sandboxId: sandbox.sandboxId,
        episodeId,
      });
      guard.before();
      return new EpisodeSession(
        runtime,
        task,
        episodeId,
        options.agent,
        sandbox,
        workspaceDir,
        events,
        guard,
        options,
      );
    } catch (error) {
      rmSync(workspaceDir, { recursive: true, force: true });
      throw error;
    }
  }

  get sandboxId(): string {
    return this.sandbox.sandboxId;
  }

  get stepCount(): number {
    return this.records.length;
  }

  get steps(): readonly StepRecord[] {
    return this.records;
  }

  get deadline(): number {
    return this.startedAt + this.task.timeoutMs;
  }

  /** The task as the agent first sees it. */
  firstObservation(): Observation {
    return this.observation(0, '', null, [], false);
  }

  private observation(
    step: number,
    output: string,
    exitCode: number | null,
    findings: Finding[],
    killedByPolicy: boolean,
  ): Observation {
    return {
      type: 'observation',
      episodeId: this.episodeId,
      taskId: this.task.id,
      instruction: this.task.instruction,
      step,
      maxSteps: this.task.maxSteps,
      output,
      exitCode,
      findings: findings.map(brief),
      killedByPolicy,
    };
  }

  /** Runs one tool call (not `done`) in the sandbox; calls are serialised. */
  step(call: ToolCall): Promise<{ record: StepRecord; observation: Observation }> {
    const run = this.lock.then(() => this.runStep(call));
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async runStep(call: ToolCall): Promise<{ record: StepRecord; observation: Observation }> {
    if (this.finished)
      throw new CordonError('CORDON_E_SANDBOX_STATE', `Episode ${this.episodeId} is finished`);
    if (call.tool === 'done')
      throw new CordonError('CORDON_E_USAGE', 'done ends the episode: finish it instead');
    if (this.records.length >= this.task.maxSteps)
      throw new CordonError(
        'CORDON_E_SANDBOX_STATE',
        `Episode ${this.episodeId} used its ${this.task.maxSteps} steps`,
      );
    this.flushPending();
    const n = this.records.length + 1;
    const stepId = `step-${n}`;
    this.events.begin(stepId);
    const { argv, stdin } = toolExec(call);
    const startedAt = Date.now();
    const timeoutMs = Math.max(
      MIN_STEP_TIMEOUT_MS,
      Math.min(this.task.policy.resources.timeoutMs, this.deadline - startedAt),
    );
    let outcome: {
      stdout: string;
      stderr: string;
      exitCode: number | null;
      signal: string | null;
      timedOut: boolean;
      killedByPolicy: boolean;
      outputTruncated: boolean;
    };
    try {
      const r = await this.sandbox.exec(argv, {
        stepId,
        timeoutMs,
        ...(stdin === undefined ? {} : { stdin }),
      });
      outcome = { ...r, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    } catch (error) {
      if (!(error instanceof CordonError) || error.code !== 'CORDON_E_SANDBOX_STATE') throw error;
      this.ended = true;
      outcome = {
        stdout: '',
        stderr: `cordon: the sandbox has ended (${error.message})`,
        exitCode: null,
        signal: null,
        timedOut: false,
        killedByPolicy: true,
        outputTruncated: false,
      };
    }
    await this.settle(this.options.settleMs ?? 100);
    this.guard.afterStep({ stepId, tool: call.tool, args: call.args, argv });
    await this.runtime.detector.settled();
    const combined =
      outcome.stdout + (outcome.stderr ? (outcome.stdout ? '\n' : '') + outcome.stderr : '');
    const bucket = this.events.of(stepId);
    const forTrajectory = capText(combined, TRAJECTORY_OUTPUT_CAP);
    const record: StepRecord = {
      episodeId: this.episodeId,
      step: n,
      stepId,
      tool: call.tool,
      args: call.args,
      ...(call.intent ? { intent: call.intent } : {}),
      argv,
      output: forTrajectory.text,
      outputTruncated: outcome.outputTruncated || forTrajectory.truncated,
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      timedOut: outcome.timedOut,
      killedByPolicy: outcome.killedByPolicy,
      durationMs: Date.now() - startedAt,
      events: bucket.events,
      eventsDropped: bucket.dropped,
      findings: bucket.findings,
      startedAt,
    };
    this.records.push(record);
    this.pendingRecord = record;
    const observation = this.observation(
      n,
      capText(combined, OBSERVATION_CAP).text,
      outcome.exitCode,
      [...bucket.findings],
      outcome.killedByPolicy,
    );
    return { record, observation };
  }

  /** The previous step's record is final once the next starts (its late events are in). */
  private flushPending(): void {
    if (!this.pendingRecord) return;
    const record = this.pendingRecord;
    this.pendingRecord = undefined;
    const bucket = this.events.of(record.stepId);
    record.events = bucket.events;
    record.eventsDropped = bucket.dropped;
    record.findings = bucket.findings;
    this.options.onStepRecord?.(record);
  }

  private async settle(ms: number): Promise<void> {
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    await this.runtime.monitor?.flush();
    await this.runtime.detector.settled();
  }

  /**
   * Ends the episode: stops every process, grades the final workspace with the pristine grader,
   * and returns the verdict and the shaped reward. Safe to call twice (same result).
   */
  finish(how: { status?: EpisodeStatus; error?: string | undefined } = {}): Promise<EpisodeResult> {
    this.finished ??= this.lock.then(() => this.doFinish(how));
    return this.finished;
  }

  private async doFinish(how: {
    status?: EpisodeStatus;
    error?: string | undefined;
  }): Promise<EpisodeResult> {
    let grade: Pick<GradeResult, 'score' | 'reason'>;
    let findings: Finding[];
    try {
      await this.settle(this.options.settleMs ?? 100);
      this.flushPending();
      findings = uniqueById([
        ...this.events.findings(),
        ...this.runtime.detector.findings(this.sandboxId),
        ...this.guard.findings,
      ]);
      // Stop collecting before teardown: the kills that end the sandbox are cordon's, not the agent's.
      this.events.close();
      await this.sandbox.destroy();
      try {
        grade = await gradeEpisode(this.runtime, this.task, this.workspaceDir, {
          labels: { episodeId: this.episodeId },
        });
      } catch (error) {
        grade = {
          score: 0,
          reason: `grading failed: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
    } finally {
      this.events.close();
      this.runtime.detector.forget(this.sandboxId);
      rmSync(this.workspaceDir, { recursive: true, force: true });
    }
    const verdict = verdictOf(findings);
    const tampered = this.guard.tampered || findings.some((f) => f.category === 'reward-tampering');
    return {
      episodeId: this.episodeId,
      taskId: this.task.id,
      agent: this.agent,
      sandboxId: this.sandboxId,
      status: how.status ?? 'completed',
      score: grade.score,
      gradeReason: grade.reason,
      verdict,
      tampered,
      findings,
      reward: shapeReward({ score: grade.score, verdict, tampered }, this.task.policy.reward),
      steps: this.records.length,
      durationMs: Date.now() - this.startedAt,
      ...(how.error ? { error: how.error } : {}),
    };
  }

  /** Ends the episode without grading (server shutdown, client gone). */
  async abort(): Promise<void> {
    if (this.finished) {
      await this.finished.catch(() => undefined);
      return;
    }
    this.finished = Promise.reject(new CordonError('CORDON_E_SANDBOX_STATE', 'Episode aborted'));
    this.finished.catch(() => undefined);
    try {
      await this.sandbox.destroy();
    } finally {
      this.events.close();
      this.runtime.detector.forget(this.sandboxId);
      rmSync(this.workspaceDir, { recursive: true, force: true });
    }
  }
}
