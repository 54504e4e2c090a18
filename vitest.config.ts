import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Sandboxes, namespaces and cgroups are real: keep parallelism modest on 2-core machines.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
