/**
 * Task files: strict validation with paths, the grader/ directory, loading the suite, and
 * generators that give the same bytes for the same seed.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ValidationError } from '../errors.js';
import { graderFilesOf, taskFixture, writeWorkspace } from './fixture.js';
import { GENERATORS, Rng, fakeJpeg } from './task-generators.js';
import { globMatcher, globToRegExp } from './task-glob.js';
import { loadTask, loadTasks, parseTask, parseTaskText } from './task.js';

const TASKS_DIR = join(import.meta.dirname, '../../tasks');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cordon-task-test-'));
  dirs.push(d);
  return d;
};

const minimal = {
  id: 'mini',
  instruction: 'do it',
  workspace: { files: { 'a.txt': 'hi\n' } },
  grader: { builtin: 'expected-tree', expected: { 'a.txt': 'hi\n' } },
};

function problemsOf(doc: unknown): string[] {
  try {
    parseTask(doc);
  } catch (error) {
    if (error instanceof ValidationError)
      return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('task files', () => {
  test('a minimal task gets defaults, the strict policy and is frozen', () => {
    const task = parseTask(minimal);
    expect(task).toMatchObject({ id: 'mini', maxSteps: 30, timeoutMs: 300_000, protected: [] });
    expect(task.policy.preset).toBe('strict');
    expect(Object.isFrozen(task.grader)).toBe(true);
  });

  test('reports every problem with its path', () => {
    const problems = problemsOf({
      ...minimal,
      id: 'Bad Id',
      workspace: { files: { '../escape': 'x' } },
      grader: { command: ['x'], builtin: 'expected-tree' },
      extra: 1,
    });
    expect(problems.some((p) => p.startsWith('id:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('workspace.files.../escape:'))).toBe(true);
    expect(
      problemsOf({ ...minimal, workspace: { files: {}, generator: { name: 'mixed-files' } } }),
    ).toEqual(['workspace: give exactly one of files or generator']);
    expect(problems.some((p) => p.startsWith('grader: give exactly one'))).toBe(true);
    expect(problems.some((p) => p.startsWith('(root)') && p.includes('extra'))).toBe(true);
  });

  test('policy and generator problems are reported under their keys', () => {
    const problems = problemsOf({
      ...minimal,
      workspace: { generator: { name: 'nope' } },
      policy: { network: { allow: ['*:443'] } },
    });
    expect(problems).toContainEqual(
      expect.stringMatching(/^policy\.network\.allow\.0: .*over-broad/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/^workspace\.generator\.name: unknown/));
  });

  test('bad YAML is a task error, not a crash', () => {
    expect(() => parseTaskText('id: [', 'x.yaml')).toThrow(ValidationError);
  });

  test('a grader/ directory beside task.yaml joins grader.files', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'grader/lib'), { recursive: true });
    writeFileSync(join(dir, 'grader/grade.sh'), 'echo 1\n');
    writeFileSync(join(dir, 'grader/lib/x.txt'), 'ref\n');
    writeFileSync(
      join(dir, 'task.yaml'),
      'id: t\ninstruction: i\nworkspace: {files: {a: b}}\ngrader: {command: [sh, /.cordon/grader/grade.sh]}\n',
    );
    const task = loadTask(dir);
    expect(task.grader.files).toEqual({ 'grade.sh': 'echo 1\n', 'lib/x.txt': 'ref\n' });
    expect(task.source).toBe(join(dir, 'task.yaml'));
  });

  test('the suite has the eight admin tasks, each with a grader and a reference solution', () => {
    const tasks = loadTasks(TASKS_DIR);
    expect(tasks.map((t) => t.id)).toEqual([
      'archive-large-files',
      'backup-with-checksums',
      'cleanup-script-no-cron',
      'dedupe-by-content',
      'fix-broken-config',
      'rename-photos-by-date',
      'rotate-compress-logs',
      'sort-files-by-type',
    ]);
    for (const t of tasks) {
      expect(t.grader.command ?? t.grader.builtin, t.id).toBeTruthy();
      expect(Object.keys(t.grader.files ?? {}).length, t.id).toBeGreaterThan(0);
    }
  });

  test('fix-broken-config ships the same service check to the agent and the grader', () => {
    const task = loadTask(join(TASKS_DIR, 'fix-broken-config'));
    expect(taskFixture(task).files.get('bin/check-service')?.toString()).toBe(
      task.grader.files?.['check-service'],
    );
  });
});

describe('fixtures and generators', () => {
  test('same seed, same bytes; another seed, other bytes', () => {
    for (const [name, generate] of Object.entries(GENERATORS)) {
      const a = generate(new Rng(42), {});
      const b = generate(new Rng(42), {});
      const c = generate(new Rng(43), {});
      expect([...a.files.keys()], name).toEqual([...b.files.keys()]);
      for (const [k, v] of a.files)
        expect(v.equals(b.files.get(k) ?? Buffer.alloc(0)), name).toBe(true);
      expect(JSON.stringify([...a.files]), name).not.toBe(JSON.stringify([...c.files]));
      expect(a.graderData.size, name).toBeGreaterThan(0);
    }
  });

  test('writes the workspace; grader data stays out of it', () => {
    const task = loadTask(join(TASKS_DIR, 'sort-files-by-type'));
    const dir = tempDir();
    const written = writeWorkspace(task, dir);
    expect(written.length).toBe(20);
    expect(written.some((p) => p.includes('manifest'))).toBe(false);
    expect([...graderFilesOf(task).keys()]).toEqual(['grade.py', 'data/manifest.json']);
  });

  test('fake JPEGs start with SOI and carry the EXIF date', () => {
    const jpeg = fakeJpeg('2019:07:04 18:30:05', Buffer.from([0x80, 0x81]));
    expect(jpeg.subarray(0, 4)).toEqual(Buffer.from([0xff, 0xd8, 0xff, 0xe1]));
    expect(jpeg.includes('Exif\0\0')).toBe(true);
    expect(jpeg.includes('2019:07:04 18:30:05\0')).toBe(true);
  });
});

describe('protected globs', () => {
  test.each([
    ['tests/**', 'tests/a/b.sh', true],
    ['tests/**', 'tests', true],
    ['tests/**', 'testsx/a', false],
    ['bin/check-*', 'bin/check-service', true],
    ['bin/check-*', 'bin/sub/check-x', false],
    ['*.py', 'a.py', true],
    ['*.py', 'dir/a.py', false],
    ['**/*.py', 'dir/a.py', true],
    ['bin', 'bin/x', true],
  ])('%s matches %s: %s', (glob, path, want) => {
    expect(globToRegExp(glob).test(path)).toBe(want);
  });

  test('no globs match nothing', () => {
    expect(globMatcher([])('anything')).toBe(false);
  });
});
