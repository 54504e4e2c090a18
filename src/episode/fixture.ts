/**
 * Task fixtures: the workspace an episode starts from and the grader's files, both derived from
 * the pristine task definition (inline files, or a seeded generator). Written fresh for every
 * episode and every grading, so nothing the agent did can leak into the reference.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Task } from './task.js';
import { GENERATORS, Rng, type GeneratedFixture } from './task-generators.js';
import { CordonError } from '../errors.js';

export type TaskFixture = GeneratedFixture;

const cache = new WeakMap<Task, TaskFixture>();

/** The task's workspace files and grader reference data (deterministic; cached per task). */
export function taskFixture(task: Task): TaskFixture {
  const hit = cache.get(task);
  if (hit) return hit;
  let fixture: TaskFixture;
  const spec = task.workspace;
  if (spec.generator) {
    const generate = GENERATORS[spec.generator.name];
    if (!generate)
      throw new CordonError('CORDON_E_TASK_INVALID', `Unknown generator ${spec.generator.name}`);
    fixture = generate(new Rng(spec.generator.seed), spec.generator.params);
  } else {
    const files = new Map<string, Buffer>();
    for (const [path, content] of Object.entries(spec.files ?? {}))
      files.set(path, Buffer.from(content));
    fixture = { files, graderData: new Map() };
  }
  cache.set(task, fixture);
  return fixture;
}

/** A file whose content starts with `#!` is a script: it is written executable. */
export function isScript(content: Buffer): boolean {
  return content[0] === 0x23 && content[1] === 0x21;
}

/** Writes files under `dir` (made if needed); scripts get mode 0755, others 0644. */
export function writeTree(dir: string, files: ReadonlyMap<string, Buffer>): string[] {
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of files) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    chmodSync(target, isScript(content) ? 0o755 : 0o644);
  }
  return [...files.keys()];
}

/**
 * Writes the task's starting workspace into `dir`.
 * @example writeWorkspace(loadTask('tasks/sort-files-by-type'), sandboxWorkspace)
 */
export function writeWorkspace(task: Task, dir: string): string[] {
  return writeTree(dir, taskFixture(task).files);
}

/** The grader directory's files: `grader.files` plus the generator's data under `data/`. */
export function graderFilesOf(task: Task): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [path, content] of Object.entries(task.grader.files ?? {}))
    out.set(path, Buffer.from(content));
  for (const [path, content] of taskFixture(task).graderData) out.set(`data/${path}`, content);
  return out;
}
