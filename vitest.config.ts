import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // onnxruntime-node sessions use native threads; separate processes keep them isolated.
    pool: 'forks',
    maxWorkers: 2,
  },
});
