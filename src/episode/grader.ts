/**
 * Grading, out of the agent's reach: the agent's final workspace is copied (a lingering process
 * cannot change it mid-grade), its protected files are restored from the pristine fixture, and the
 * grader runs in a fresh one-shot sandbox with its files, written from the task definition, bound
 * read-only at /.cordon/grader. The score is the grader's last stdout line (0..1), and only when it
 * exited 0; anything else scores 0 with the reason.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../events/index.js';
import { resolvePolicy, type Policy } from '../policy/index.js';
import type { RunOutcome, RuntimeRunOptions } from '../runtime/index.js';
import { graderFilesOf, taskFixture, writeTree } from './fixture.js';
import { checkExpectedTree, copyTree, removeNoFollow, walkTree } from './grade-tree.js';
import { GRADER_MOUNT, REWARD_FILE } from './tamper.js';
import type { Task } from './task.js';
import { globMatcher } from './task-glob.js';

export interface GradeResult {
  /** 0..1; 0 whenever the grader failed to give a score. */
  score: number;
  /** Why: the grader's own explanation, or what went wrong. */
  reason: string;
  /** The grader ran and printed a valid score. */
  ok: boolean;
  /** Protected files put back from the pristine fixture before grading. */
  restored: string[];
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The grader's stdout (capped). */
  output: string;
  /** Findings raised inside the grading sandbox (the agent's code may run there). */
  graderFindings: Finding[];
}

/** What grading needs of the runtime (a CordonRuntime fits). */
export interface GradingRuntime {
  run(argv: readonly string[], options?: RuntimeRunOptions): Promise<RunOutcome>;
  detector?: { forget(sandboxId: string): void } | undefined;
}

export interface GradeOptions {
  /** Default: task.grader.timeoutMs, else 60000. */
  timeoutMs?: number;
  labels?: Record<string, string>;
}

const OUTPUT_CAP = 8192;
const SCORE_LINE = /^\s*(0(\.\d+)?|1(\.0+)?|\.\d+)\s*$/;

/** The grading sandbox's policy: strict, no egress, a clean PATH (the agent's env is not inherited). */
function gradingPolicy(task: Task, timeoutMs: number): Policy {
  return resolvePolicy({
    preset: 'strict',
    env: {
      set: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' },
    },
    resources: { timeoutMs, memoryMB: Math.max(512, task.policy.resources.memoryMB) },
  });
}

/** Puts protected paths back as the pristine fixture has them; returns the ones that differed. */
function restoreProtected(task: Task, dir: string): string[] {
  if (task.protected.length === 0) return [];
  const isProtected = globMatcher(task.protected);
  const pristine = new Map([...taskFixture(task).files].filter(([p]) => isProtected(p)));
  const restored: string[] = [];
  for (const entry of walkTree(dir)) {
    if (entry.kind === 'dir' || !isProtected(entry.path) || pristine.has(entry.path)) continue;
    removeNoFollow(dir, entry.path);
    restored.push(entry.path);
  }
  const now = new Map(walkTree(dir).map((e) => [e.path, e.kind]));
  for (const [path, content] of pristine) {
    // A 'file' entry has only real directories above it (the walk never enters a link).
    if (now.get(path) === 'file' && readFileSync(join(dir, path)).equals(content)) continue;
    // Clear the path link-safely first: writeTree must never write through an agent's symlink.
    removeNoFollow(dir, path);
    writeTree(dir, new Map([[path, content]]));
    restored.push(path);
  }
  return restored;
}

/** Reads the score from the grader's output: exit 0 and a number 0..1 on the last line. */
export function parseGraderOutput(
  stdout: string,
  exitCode: number | null,
  timedOut: boolean,
  stderr = '',
): { score: number; reason: string; ok: boolean } {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const explain = lines.slice(0, -1).join('; ').slice(-500);
  if (timedOut) return { score: 0, reason: 'grader timed out', ok: false };
  if (exitCode !== 0) {
    const tail = (stderr.trim().split('\n').pop() ?? '').slice(0, 300);
    return {
      score: 0,
      reason: `grader exited with ${exitCode ?? 'a signal'}${tail ? `: ${tail}` : ''}`,
      ok: false,
    };
  }
  const last = lines.at(-1) ?? '';
  if (!SCORE_LINE.test(last))
    return {
      score: 0,
      reason: `grader printed no score on its last line (${JSON.stringify(last.slice(0, 80))})`,
      ok: false,
    };
  return { score: Number(last.trim()), reason: explain || 'ok', ok: true };
}

/**
 * Grades an episode's final workspace with the task's pristine grader, in a fresh sandbox.
 * @example const { score, reason } = await gradeEpisode(runtime, task, sandbox.workspace);
 */
export async function gradeEpisode(
  runtime: GradingRuntime,
  task: Task,
  workspaceDir: string,
  options: GradeOptions = {},
): Promise<GradeResult> {
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'cordon-grade-'));
  // bwrap resolves the bind sources from inside its user namespace: it must traverse this dir.
  chmodSync(root, 0o711);
  const workspace = join(root, 'workspace');
  try {
    copyTree(workspaceDir, workspace, (p) => p === REWARD_FILE);
    const restored = restoreProtected(task, workspace);
    const base = { restored, graderFindings: [] as Finding[], output: '' };
    if (task.grader.builtin === 'expected-tree') {
      const check = checkExpectedTree(
        workspace,
        task.grader.expected ?? {},
        task.grader.exclusive ?? false,
      );
      return {
        ...base,
        score: check.score,
        reason: check.failures.length ? check.failures.slice(0, 20).join('; ') : 'ok',
        ok: true,
        exitCode: 0,
        timedOut: false,
        durationMs: Date.now() - started,
      };
    }
    const graderDir = join(root, 'grader');
    writeTree(graderDir, graderFilesOf(task));
    const timeoutMs = options.timeoutMs ?? task.grader.timeoutMs ?? 60_000;
    const { result, findings } = await runtime.run(task.grader.command ?? [], {
      policy: gradingPolicy(task, timeoutMs),
      workspace,
      capture: true,
      timeoutMs,
      maxOutputBytes: 1 << 20,
      // No episodeId: the grader's own events must not count against the agent's episode.
      labels: { role: 'grader', task: task.id, ...options.labels },
      extraBinds: [{ host: graderDir, target: GRADER_MOUNT, readOnly: true }],
    });
    runtime.detector?.forget(result.sandboxId);
    const stdout = result.stdout ?? '';
    const parsed = parseGraderOutput(stdout, result.exitCode, result.timedOut, result.stderr);
    return {
      ...base,
      ...parsed,
      graderFindings: findings,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      durationMs: Date.now() - started,
      output: stdout.slice(-OUTPUT_CAP),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
