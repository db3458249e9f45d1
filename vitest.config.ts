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
      {
        test: {
          // The production-like stack's pieces, on their own servers (no global setup): a real
          // Temporal cluster on PostgreSQL takes ~30 s to come up. Each file skips, saying why,
          // when what it needs is not installed (npm run stack:tools builds the Temporal server).
          name: 'stack',
          include: ['test/stack/**/*.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
