import { defineConfig } from 'vitest/config';
import { budget } from './test/support/budget.js';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // The slowest unit test (compiling the playbook schema) measured 9 s beside the
          // integration project on a loaded machine: one budget for all of them.
          testTimeout: budget(9),
          hookTimeout: budget(9),
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Images are built once in global setup; files run one at a time (one fork) so
          // container fleets do not compete for the 2 cores and the inotify limit.
          globalSetup: ['test/integration/global-setup.ts'],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          // A test measured over 20 s, and a fleet whose start and setup were measured over 60 s,
          // states its own budget (test/support/budget.ts).
          testTimeout: budget(20),
          hookTimeout: budget(60),
        },
      },
    ],
  },
});
