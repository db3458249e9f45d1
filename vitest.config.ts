import { defineConfig } from 'vitest/config';

/**
 * The integration core (request path, residency, ledger, settlement, the OpenAI surface) that also
 * runs against the production-like stack (`npm run test:stack`, docs/stack.md).
 */
export const STACK_CORE = [
  'test/integration/request-path.test.ts',
  'test/integration/residency.test.ts',
  'test/integration/ledger.test.ts',
  'test/integration/settlement.test.ts',
  'test/integration/data-plane.test.ts',
  'test/integration/openai-e2e.test.ts',
];

/** Only `npm run test:stack` sets it: the stack takes minutes to start and needs its own servers. */
const stackProject = process.env.FEDERA_TEST_STACK
  ? [
      {
        test: {
          name: 'stack',
          include: [...STACK_CORE, 'test/stack/**/*.test.ts'],
          globalSetup: ['test/support/stack-setup.ts'],
          pool: 'forks' as const,
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 300_000,
        },
      },
    ]
  : [];

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
          // the console's browser tests run here too: same servers, one file at a time
          include: ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts', 'test/support/console-setup.ts'],
          // Temporal's native bridge needs process isolation (forks, not threads); one file at a
          // time keeps the 2-core machine's dev server responsive.
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      ...stackProject,
    ],
  },
});
