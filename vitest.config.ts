import { defineConfig } from 'vitest/config';

/**
 * Integration suites that judge timing (the soak's p99 must not double from its first to its last
 * third): run in a group of their own, one file at a time, after the other integration suites.
 * Beside another suite starting servers and ffmpeg on two cores, the soak's p99 doubled for reasons
 * that were not the server's (CI, 2026-11-29).
 */
const ALONE = ['server/test/soak.test.ts'];

/**
 * Projects: `unit` needs nothing running; `contract` and `integration` run every port against
 * both backends (embedded and PostgreSQL/Redis/S3); `alone` runs the integration suites that judge
 * timing, with nothing beside them; `e2e` drives Chromium against a real server.
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
          exclude: [...ALONE, '**/node_modules/**'],
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
          name: 'alone',
          sequence: { groupOrder: 3 },
          include: ALONE,
          globalSetup: ['server/test/support/global-setup.ts'],
          setupFiles: ['server/test/support/busy-client-check.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          maxWorkers: 1,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 4 },
          include: ['e2e/**/*.e2e.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
