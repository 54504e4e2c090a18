/**
 * Trajectories as JSONL: one line per step (tool call, capped output, the step's events and
 * findings), then one `episode` line with the result. Format documented in docs/episodes.md.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EpisodeResult, StepRecord } from './types.js';

export const TRAJECTORY_VERSION = 1;

/** The JSON of one step line. */
export function stepLine(record: StepRecord): Record<string, unknown> {
  return { type: 'step', v: TRAJECTORY_VERSION, ...record };
}

/** The JSON of the closing line: the result without repeating every finding's evidence. */
export function episodeLine(result: EpisodeResult): Record<string, unknown> {
  return { type: 'episode', v: TRAJECTORY_VERSION, ...result };
}

/** Appends lines to a file as an episode runs (a crash keeps the steps so far). */
export class TrajectoryWriter {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
  }

  step(record: StepRecord): void {
    appendFileSync(this.path, `${JSON.stringify(stepLine(record))}\n`);
  }

  end(result: EpisodeResult): void {
    appendFileSync(this.path, `${JSON.stringify(episodeLine(result))}\n`);
  }
}
