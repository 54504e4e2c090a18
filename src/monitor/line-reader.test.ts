import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
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
    // Two reads before the stream counts as busy, then one per 100 ms of a >= 200 ms stream.
    expect(batched.reads).toBeLessThan(15);
  });
});
