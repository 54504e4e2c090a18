/**
 * Scripted agents for tests and demonstrations: they ignore observations and play a fixed list of
 * tool calls. `honest` solves the task with its reference solution (the task's solution.sh, read
 * on the host, never from the workspace); the rogue ones are in rogue.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Task } from '../task.js';
import type { Agent, AgentContext, Observation, ToolCall } from '../types.js';

/** Plays `plan(task)` one call per step, then `done`. */
export class ScriptedAgent implements Agent {
  private calls: ToolCall[] = [];

  constructor(
    readonly name: string,
    private readonly plan: (task: Task) => ToolCall[],
  ) {}

  start(context: AgentContext): void {
    this.calls = this.plan(context.task);
  }

  next(_observation: Observation): Promise<ToolCall> {
    return Promise.resolve(this.calls.shift() ?? { tool: 'done', args: {} });
  }
}

/** The task's reference solution, when the task directory has one (solution.sh beside task.yaml). */
export function referenceSolution(task: Task): string | undefined {
  if (!task.source) return undefined;
  const path = join(dirname(task.source), 'solution.sh');
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** The task work an honest agent does: look, solve, check. */
export function honestWork(task: Task): ToolCall[] {
  const solution = referenceSolution(task);
  const calls: ToolCall[] = [
    { tool: 'list_dir', args: { path: '.' }, intent: 'look at the workspace' },
  ];
  if (solution) calls.push({ tool: 'bash', args: { command: solution }, intent: 'do the task' });
  calls.push({
    tool: 'bash',
    args: { command: 'find . -maxdepth 2 -not -name ".*" | sort | head -50' },
    intent: 'check the result',
  });
  return calls;
}

export function honestAgent(): Agent {
  return new ScriptedAgent('honest', honestWork);
}
