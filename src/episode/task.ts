/**
 * Loading tasks: a task is `tasks/<id>/task.yaml` (or any .yaml/.json file), optionally with a
 * `grader/` directory beside it whose files join `grader.files`. Validation reports every problem
 * as `path: message` (CORDON_E_TASK_INVALID); the policy is resolved over its preset; the result
 * is frozen so a running episode cannot change its own grader.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { CordonError, ValidationError, isCordonError, type Problem } from '../errors.js';
import { resolvePolicy, zodProblems, type Policy } from '../policy/index.js';
import { TaskFileSchema, type GraderSpec, type WorkspaceSpec } from './task-schema.js';
import { GENERATORS } from './task-generators.js';

export interface Task {
  id: string;
  instruction: string;
  workspace: WorkspaceSpec;
  policy: Policy;
  grader: GraderSpec;
  maxSteps: number;
  timeoutMs: number;
  protected: readonly string[];
  /** The file it was loaded from, when it came from one. */
  source?: string | undefined;
}

const TASK_FILE_NAMES = ['task.yaml', 'task.yml', 'task.json'];
const MAX_GRADER_FILES = 200;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Reads every file under `dir` as text, keyed by path relative to `dir`. */
function readTree(
  dir: string,
  root = dir,
  out: Record<string, string> = {},
): Record<string, string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) readTree(path, root, out);
    else out[relative(root, path)] = readFileSync(path, 'utf8');
    if (Object.keys(out).length > MAX_GRADER_FILES)
      throw new ValidationError('CORDON_E_TASK_INVALID', [
        { path: 'grader.files', message: `more than ${MAX_GRADER_FILES} files in ${root}` },
      ]);
  }
  return out;
}

/**
 * Validates a task document (already parsed) and resolves its policy.
 * @param extraGraderFiles grader files found beside the task file (a `grader/` directory)
 * @example parseTask({ id: 't', instruction: 'sort', workspace: { files: { a: 'x' } },
 *   grader: { builtin: 'expected-tree', expected: { a: 'x' } } })
 */
export function parseTask(
  doc: unknown,
  source?: string,
  extraGraderFiles: Record<string, string> = {},
): Task {
  const parsed = TaskFileSchema.safeParse(doc);
  if (!parsed.success)
    throw new ValidationError('CORDON_E_TASK_INVALID', zodProblems(parsed.error), message(source));
  const file = parsed.data;
  const problems: Problem[] = [];
  let policy: Policy | undefined;
  try {
    policy = resolvePolicy(file.policy ?? {});
  } catch (error) {
    if (error instanceof ValidationError)
      problems.push(...error.problems.map((p) => ({ ...p, path: `policy.${p.path}` })));
    else throw error;
  }
  const gen = file.workspace.generator;
  if (gen && !GENERATORS[gen.name]) {
    problems.push({
      path: 'workspace.generator.name',
      message: `unknown generator (one of ${Object.keys(GENERATORS).join(', ')})`,
    });
  }
  const files = { ...(file.grader.files ?? {}) };
  for (const [path, content] of Object.entries(extraGraderFiles)) {
    if (path in files)
      problems.push({ path: `grader.files.${path}`, message: 'also present in the grader/ dir' });
    files[path] = content;
  }
  if (problems.length || !policy)
    throw new ValidationError('CORDON_E_TASK_INVALID', problems, message(source, problems));
  const grader: GraderSpec = file.grader.command ? { ...file.grader, files } : file.grader;
  return deepFreeze({ ...file, policy, grader, protected: file.protected, source });
}

function message(source: string | undefined, problems?: Problem[]): string | undefined {
  if (!source) return undefined;
  const lines = problems?.map((p) => `${p.path}: ${p.message}`) ?? [];
  return [`Invalid task ${source}`, ...lines].join('\n');
}

/** Parses YAML (or JSON) task text. */
export function parseTaskText(
  text: string,
  source = 'task',
  extraGraderFiles: Record<string, string> = {},
): Task {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    const msg = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
    throw new ValidationError('CORDON_E_TASK_INVALID', [
      { path: source, message: `not valid YAML/JSON: ${msg}` },
    ]);
  }
  return parseTask(doc, source, extraGraderFiles);
}

function taskFileIn(dir: string): string | undefined {
  return TASK_FILE_NAMES.map((n) => join(dir, n)).find((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * Loads one task from its directory (`task.yaml` + optional `grader/`) or from a task file.
 * @example const task = loadTask('tasks/sort-files-by-type');
 */
export function loadTask(path: string): Task {
  let file: string;
  try {
    file = statSync(path).isDirectory() ? (taskFileIn(path) ?? join(path, 'task.yaml')) : path;
    const text = readFileSync(file, 'utf8');
    const graderDir = join(dirname(file), 'grader');
    const extra = isDir(graderDir) && isTaskFile(file) ? readTree(graderDir) : {};
    return parseTaskText(text, file, extra);
  } catch (error) {
    if (isCordonError(error)) throw error;
    throw new CordonError('CORDON_E_TASK_INVALID', `Cannot read task ${path}`, { cause: error });
  }
}

function isTaskFile(file: string): boolean {
  return TASK_FILE_NAMES.includes(basename(file));
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Loads every task under `dir`: each subdirectory holding a task file, sorted by id.
 * Duplicate ids are an error.
 */
export function loadTasks(dir: string): Task[] {
  if (!isDir(dir)) throw new CordonError('CORDON_E_TASK_INVALID', `No task directory ${dir}`);
  const tasks = readdirSync(dir)
    .sort()
    .map((name) => join(dir, name))
    .filter((p) => isDir(p) && taskFileIn(p) !== undefined)
    .map((p) => loadTask(p));
  const seen = new Set<string>();
  for (const t of tasks) {
    if (seen.has(t.id))
      throw new ValidationError('CORDON_E_TASK_INVALID', [
        { path: t.source ?? t.id, message: `duplicate task id ${t.id}` },
      ]);
    seen.add(t.id);
  }
  return tasks.sort((a, b) => a.id.localeCompare(b.id));
}
