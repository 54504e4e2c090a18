import { spawn } from 'node:child_process';
import { describe, expect, test, vi } from 'vitest';
import { readLines } from './line-reader.js';

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
