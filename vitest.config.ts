import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Global teardowns stop Kafka gracefully, which takes longer than the 10 s default.
    teardownTimeout: 120_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 2 },
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores share the broker, FerretDB and the tests: keep files from starving each other.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 3 },
          // Its own Kafka + FerretDB instance (ports 19092/27118): stopping them disturbs no other run.
          globalSetup: ['test/faults/global-setup.ts'],
          // One scenario at a time: each one loads the two cores and some stop services.
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 4 },
          // Real Kafka + FerretDB; the suite starts `hookstream all` (built CLI) and Debian's chromium.
          globalSetup: ['test/support/global-setup.ts'],
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'chart',
          include: ['test/chart/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
        },
      },
    ],
  },
});
