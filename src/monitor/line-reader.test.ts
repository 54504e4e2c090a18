import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { loadBatchReader, readLines } from './line-reader.js';

function linesOf(script: string, batchMs: number): Promise<{ lines: string[]; reads: number }> {
  const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines: string[] = [];
  let reads = 0;
  child.stdout.on('data', () => (reads += 1));
  readLines(child.stdout, (line) => lines.push(line), batchMs);
  return new Promise((resolve) => child.stdout.once('end', () => resolve({ lines, reads })));
}

describe('readLines', () => {
  test.each([0, 5])(
    'joins lines split across reads, keeps a last unterminated one (batch %i ms)',
    async (ms) => {
      const { lines } = await linesOf(`printf 'a\\nb'; sleep 0.05; printf 'c\\n\\nd é'`, ms);
      expect(lines).toEqual(['a', 'bc', '', 'd é']);
    },
  );

  test('reads lines flushed one by one in fewer reads than lines', async () => {
    const script = 'for i in $(seq 1 40); do echo "line $i"; sleep 0.005; done';
    const batched = await linesOf(script, 100);
    expect(batched.lines).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
    // Two reads of the stream's own before it counts as busy; from then on a timer reads the
    // pipe every 100 ms until the end, and the stream reads only the end of the file.
    expect(batched.reads).toBeLessThan(5);
  });

  test('a busy stream that goes quiet is read as data comes again', async () => {
    const script =
      'for i in 1 2 3 4 5; do echo "a$i"; sleep 0.01; done; sleep 0.5; echo b; sleep 2; echo c';
    const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    const lines: string[] = [];
    readLines(child.stdout, (line) => lines.push(line), 100);
    // The timer found the pipe empty in the quiet spell and handed it back to the stream: the
    // lines after it still come (a pipe left stopped would never deliver b or c).
    await vi.waitFor(() => expect(lines).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'b']), {
      timeout: 1500,
    });
    await new Promise((r) => child.stdout.once('end', r));
    expect(lines.at(-1)).toBe('c');
  });
});

describe('LineReader.drain', () => {
  test('hands over, at once, the lines a batch would have held back, in order', async () => {
    // Two lines 100 ms apart make the stream busy, so the reader leaves the pipe alone for 2 s;
    // the burst of 100 lines written meanwhile waits in the pipe.
    const script =
      'echo line 1; sleep 0.1; echo line 2; sleep 0.1; for i in $(seq 3 102); do echo "line $i"; done; sleep 1; echo line 103';
    const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    const lines: string[] = [];
    const reader = readLines(child.stdout, (line) => lines.push(line), 2000);
    await vi.waitFor(() => expect(lines).toEqual(['line 1', 'line 2']), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(lines).toHaveLength(2);
    reader.drain();
    expect(lines).toEqual(Array.from({ length: 102 }, (_, i) => `line ${i + 1}`));
    await new Promise((r) => child.stdout.once('end', r));
    expect(lines).toEqual(Array.from({ length: 103 }, (_, i) => `line ${i + 1}`));
  });

  test('never waits for a writer that is quiet (the pipe is non-blocking)', async () => {
    const child = spawn('/bin/sh', ['-c', 'echo first; sleep 3; echo second'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const lines: string[] = [];
    const reader = readLines(child.stdout, (line) => lines.push(line), 5);
    await vi.waitFor(() => expect(lines).toEqual(['first']), { timeout: 5000 });
    const started = performance.now();
    reader.drain();
    // A blocking read would sit here until the writer's next line, 3 s later.
    expect(performance.now() - started).toBeLessThan(500);
    expect(lines).toEqual(['first']);
    child.kill();
  });

  test('does nothing on a plain stream (no pipe to read)', async () => {
    const { Readable } = await import('node:stream');
    const lines: string[] = [];
    const reader = readLines(Readable.from(['a\nb\n']), (line) => lines.push(line), 5);
    reader.drain();
    expect(lines).toEqual([]);
    await new Promise((r) => setTimeout(r, 20));
    expect(lines).toEqual(['a', 'b']);
  });
});

/** A bpftrace JSON printf line with `data` as its payload, as `printf` in sh writes it. */
const printf = (data: string): string => `{"type": "printf", "data": "${data}"}`;

describe.skipIf(!loadBatchReader())('readLines with the native batch reader', () => {
  function start(script: string, maxWaitMs: number, batchMs = 20) {
    const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    const got: { line: string; at: number; wall: number }[] = [];
    const t0 = performance.now();
    const reader = readLines(
      child.stdout,
      (line) => got.push({ line, at: performance.now() - t0, wall: Date.now() }),
      batchMs,
      {
        tags: 'MN',
        maxWaitMs,
      },
    );
    const ended = new Promise((r) => child.stdout.once('end', r));
    return { child, got, reader, ended };
  }

  test('holds routine lines back up to maxWaitMs, and hands an urgent one over at once', async () => {
    // Routine lines every 10 ms for 0.3 s, then an urgent one (its write time noted), then quiet.
    const dir = mkdtempSync(join(tmpdir(), 'cordon-lines-'));
    const stamp = join(dir, 'urgent-written-ms');
    const routine = `for i in $(seq 1 30); do printf '%s\\n' '${printf('X\\t1')}'; sleep 0.01; done`;
    const { got, ended } = start(
      `${routine}; date +%s%3N > '${stamp}'; printf '%s\\n' '${printf('N\\turgent')}'; sleep 2.5`,
      2000,
    );
    await vi.waitFor(() => expect(got.some((g) => g.line.includes('urgent'))).toBe(true), {
      timeout: 5000,
    });
    const urgent = got.find((g) => g.line.includes('urgent'))!;
    // The routine lines came with it, in order, and none before it: 30 lines in 0.3 s did not
    // reach JS one batch at a time.
    expect(got.map((g) => g.line)).toEqual([
      ...Array.from({ length: 30 }, () => printf('X\\t1')),
      printf('N\\turgent'),
    ]);
    // Written over 0.3 s, all handed over in the one go that brought the urgent line.
    expect(urgent.at - got[0]!.at).toBeLessThan(20);
    // And that go came when the urgent line was written, not when the first routine line had
    // waited maxWaitMs (2 s). Timed from the write, as a loaded host can take most of a second
    // just to start the shell and its 30 sleeps.
    const written = Number(readFileSync(stamp, 'utf8'));
    rmSync(dir, { recursive: true, force: true });
    expect(urgent.wall - written).toBeLessThan(500);
    await ended;
  });

  test('routine lines alone arrive once the oldest has waited maxWaitMs', async () => {
    const { got, ended } = start(`printf '%s\\n' '${printf('X\\t1')}'; sleep 2`, 300);
    await vi.waitFor(() => expect(got).toHaveLength(1), { timeout: 2000 });
    expect(got[0]!.at).toBeGreaterThanOrEqual(250);
    expect(got[0]!.at).toBeLessThan(1500);
    await ended;
  });

  test('anything that is not a printf (lost events, errors) is urgent', async () => {
    const { got, ended } = start(
      `printf '%s\\n' '{"type": "lost_events", "data": {"events": 3}}'; sleep 2`,
      5000,
    );
    await vi.waitFor(() => expect(got).toHaveLength(1), { timeout: 1500 });
    await ended;
  });

  test('drain hands over what the thread holds and what the pipe holds, at once', async () => {
    const { got, reader, child } = start(
      `printf '%s\\n' '${printf('X\\t1')}'; printf '%s\\n' '${printf('X\\t2')}'; sleep 3`,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(0);
    reader.drain();
    expect(got.map((g) => g.line)).toEqual([printf('X\\t1'), printf('X\\t2')]);
    child.kill();
  });

  test('the stream still ends, with a last unterminated line, after the thread saw its end', async () => {
    const { got, ended } = start(`printf '%s\\n' '${printf('X\\t1')}'; printf 'tail'`, 10_000);
    await ended;
    expect(got.map((g) => g.line)).toEqual([printf('X\\t1'), 'tail']);
  });
});
