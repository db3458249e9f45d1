import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'apps/*/src/**/*.test.ts',
            'workflows/src/**/*.test.ts',
            // the benchmarks' pure parts (percentiles, /proc parsing, SSE reading, the report)
            'test/bench/**/*.test.ts',
          ],
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          // Temporal's native bridge needs process isolation (forks, not threads); one file at a
          // time keeps the 2-core machine's dev server responsive.
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
