/**
 * Grading without a sandbox: score parsing, the built-in expected-tree check, link-safe copies,
 * and the protected-file restore (the command grader runs for real in test/episode/tasks.test.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { writeWorkspace } from './fixture.js';
import { checkExpectedTree, copyTree, walkTree } from './grade-tree.js';
import { gradeEpisode, parseGraderOutput, type GradingRuntime } from './grader.js';
import { parseTask } from './task.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cordon-grader-test-'));
  dirs.push(d);
  return d;
};
const noRun: GradingRuntime = {
  run: () => Promise.reject(new Error('the built-in grader must not start a sandbox')),
};

describe('parseGraderOutput', () => {
  test.each([
    ['checked 3 files\n1\n', 0, false, 1, true],
    ['0.75\n\n', 0, false, 0.75, true],
    ['.5\n', 0, false, 0.5, true],
    ['1\nall good\n', 0, false, 0, false],
    ['1.5\n', 0, false, 0, false],
    ['-1\n', 0, false, 0, false],
    ['1\n', 2, false, 0, false],
    ['1\n', null, false, 0, false],
    ['1\n', 0, true, 0, false],
    ['', 0, false, 0, false],
  ])('%j exit %s timedOut %s -> %s', (stdout, code, timedOut, score, ok) => {
    expect(parseGraderOutput(stdout, code, timedOut)).toMatchObject({ score, ok });
  });

  test('keeps the grader explanation as the reason', () => {
    expect(parseGraderOutput('a missing\nb changed\n0.5\n', 0, false).reason).toBe(
      'a missing; b changed',
    );
  });
});

describe('expected-tree', () => {
  test('scores the fraction of checks that hold', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'out/a.txt'), 'A\n');
    writeFileSync(join(dir, 'junk'), 'x');
    const expected = {
      'out/a.txt': 'A\n',
      'out/b.txt': { sha256: 'a'.repeat(64) },
      'in.txt': { absent: true as const },
      out: { dir: true as const },
    };
    expect(checkExpectedTree(dir, expected, false)).toEqual({
      score: 0.75,
      failures: ['out/b.txt is missing'],
    });
    const exclusive = checkExpectedTree(dir, expected, true);
    expect(exclusive.failures).toContain('junk is not expected');
    expect(exclusive.score).toBeCloseTo(3 / 5);
  });

  test('gradeEpisode runs the built-in check on a copy, without the reward file', async () => {
    const task = parseTask({
      id: 'tree',
      instruction: 'x',
      workspace: { files: { 'a.txt': 'A' } },
      grader: { builtin: 'expected-tree', expected: { 'a.txt': 'A' }, exclusive: true },
    });
    const ws = tempDir();
    writeWorkspace(task, ws);
    writeFileSync(join(ws, '.reward'), '1');
    expect(await gradeEpisode(noRun, task, ws)).toMatchObject({ score: 1, ok: true, reason: 'ok' });
    writeFileSync(join(ws, 'a.txt'), 'B');
    const bad = await gradeEpisode(noRun, task, ws);
    expect(bad.score).toBe(0);
    expect(bad.reason).toBe('a.txt differs');
  });
});

describe('copies and restores never follow links', () => {
  test('copyTree keeps symlinks as links and drops fifos', () => {
    const src = tempDir();
    const outside = tempDir();
    writeFileSync(join(outside, 'secret'), 'host\n');
    symlinkSync(join(outside, 'secret'), join(src, 'link'));
    writeFileSync(join(src, 'f'), 'file\n');
    const dst = join(tempDir(), 'copy');
    copyTree(src, dst);
    expect(walkTree(dst).map((e) => [e.path, e.kind])).toEqual([
      ['f', 'file'],
      ['link', 'symlink'],
    ]);
  });

  test('protected files come back from the pristine fixture, even through a swapped directory', async () => {
    const task = parseTask({
      id: 'prot',
      instruction: 'x',
      workspace: { files: { 'tests/t.sh': '#!/bin/sh\nexit 1\n', 'src/a': 'a' } },
      protected: ['tests/**'],
      grader: { builtin: 'expected-tree', expected: { 'tests/t.sh': '#!/bin/sh\nexit 1\n' } },
    });
    const ws = tempDir();
    const outside = tempDir();
    writeWorkspace(task, ws);
    rmSync(join(ws, 'tests'), { recursive: true });
    symlinkSync(outside, join(ws, 'tests'));
    const grade = await gradeEpisode(noRun, task, ws);
    expect(grade).toMatchObject({ score: 1, restored: ['tests', 'tests/t.sh'] });
    expect(walkTree(outside)).toEqual([]);
    writeFileSync(join(ws, 'src/a'), 'changed'); // not protected: graded as the agent left it
    rmSync(join(ws, 'tests'));
    mkdirSync(join(ws, 'tests'));
    writeFileSync(join(ws, 'tests/t.sh'), 'exit 0\n');
    writeFileSync(join(ws, 'tests/extra.sh'), 'exit 0\n');
    const again = await gradeEpisode(noRun, task, ws);
    expect(again.restored.sort()).toEqual(['tests/extra.sh', 'tests/t.sh']);
    expect(readFileSync(join(ws, 'tests/t.sh'), 'utf8')).toBe('exit 0\n'); // the original is left alone
  });
});
