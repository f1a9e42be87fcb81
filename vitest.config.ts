import { defineConfig } from 'vitest/config';

/**
 * Projects: `unit` needs nothing running; `contract` and `integration` run every port against
 * both backends (embedded and PostgreSQL/Redis/S3); `e2e` drives Chromium against a real server.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: [
            'server/src/**/*.test.ts',
            'web/src/**/*.test.ts',
            'infra/test/**/*.test.ts',
            'deploy/**/*.unit.test.ts',
            'scripts/**/*.unit.test.ts',
            'bench/**/*.unit.test.ts',
          ],
          exclude: ['**/*.contract.test.ts', '**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'contract',
          sequence: { groupOrder: 1 },
          maxWorkers: 2,
          include: ['server/src/**/*.contract.test.ts'],
          globalSetup: ['server/test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 2 },
          include: ['server/test/**/*.test.ts'],
          globalSetup: ['server/test/support/global-setup.ts'],
          setupFiles: ['server/test/support/busy-client-check.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // These suites start whole servers; two at a time is what a 2-core machine takes.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 3 },
          include: ['e2e/**/*.e2e.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
