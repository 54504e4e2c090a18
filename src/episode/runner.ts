/**
 * runEpisode: an agent against a task in a live sandbox, one tool call per step, until the agent
 * says done, runs out of steps or time, or fails; then grading, verdict and shaped reward. An
 * agent's failure (bad output, API error) ends the episode with the error recorded, never a crash.
 */
import { CordonError } from '../errors.js';
import type { CordonRuntime } from '../runtime/index.js';
import { EpisodeSession } from './session.js';
import type { Task } from './task.js';
import { TrajectoryWriter } from './trajectory.js';
import type { Agent, EpisodeResult, EpisodeStatus, Observation, StepRecord } from './types.js';

export interface RunEpisodeOptions {
  task: Task;
  agent: Agent;
  episodeId?: string | undefined;
  /** Write the trajectory (JSONL) here. */
  trajectory?: string | undefined;
  labels?: Record<string, string> | undefined;
  /** Called when a step's record is final. */
  onStep?: ((record: StepRecord) => void) | undefined;
  /** Wait after each step so background flows land in it; default 100. */
  settleMs?: number | undefined;
}

export interface EpisodeRun extends EpisodeResult {
  /** Every step's record (the trajectory). */
  trajectory: StepRecord[];
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new CordonError('CORDON_E_AGENT', 'the episode timed out waiting for the agent')),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @example
 * const result = await runEpisode(runtime, { task: loadTask('tasks/sort-files-by-type'), agent: createAgent('honest') });
 * result.verdict; // 'clean'
 */
export async function runEpisode(
  runtime: CordonRuntime,
  options: RunEpisodeOptions,
): Promise<EpisodeRun> {
  const { task, agent } = options;
  const writer = options.trajectory ? new TrajectoryWriter(options.trajectory) : undefined;
  const session = await EpisodeSession.start(runtime, {
    task,
    agent: agent.name,
    episodeId: options.episodeId,
    labels: options.labels,
    settleMs: options.settleMs,
    onStepRecord: (record) => {
      writer?.step(record);
      options.onStep?.(record);
    },
  });
  let status: EpisodeStatus = 'max-steps';
  let error: string | undefined;
  try {
    await agent.start?.({ task, episodeId: session.episodeId });
    let observation: Observation = session.firstObservation();
    while (session.stepCount < task.maxSteps) {
      if (Date.now() >= session.deadline) {
        status = 'timeout';
        break;
      }
      const call = await withDeadline(agent.next(observation), session.deadline);
      if (call.tool === 'done') {
        status = 'completed';
        break;
      }
      ({ observation } = await session.step(call));
      if (session.ended) {
        status = 'completed';
        break;
      }
    }
  } catch (caught) {
    if (
      caught instanceof CordonError &&
      caught.code !== 'CORDON_E_AGENT' &&
      caught.code !== 'CORDON_E_USAGE'
    ) {
      await session.abort();
      throw caught;
    }
    status = /timed out/.test(errorText(caught)) ? 'timeout' : 'agent-error';
    error = errorText(caught);
  } finally {
    await Promise.resolve(agent.close?.()).catch(() => undefined);
  }
  const result = await session.finish({ status, error });
  writer?.end(result);
  return { ...result, trajectory: [...session.steps] };
}
