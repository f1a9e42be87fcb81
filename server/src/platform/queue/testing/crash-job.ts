import { z } from 'zod';
import { defineJob } from '../port.js';

/** The job of the crash test, shared by the test (which enqueues it) and the worker it kills. */
export const crashTestJob = defineJob({
  name: 'crash-test.long-task',
  queue: 'default',
  priority: 'medium',
  attempts: 3,
  backoffMs: 100,
  payload: z.object({ label: z.string() }),
});

/** What the test hands the worker process, as one JSON argument (src code reads no environment). */
export type CrashWorkerConfig = {
  /** File the handler appends `start <jobId> <attempt>` and `done <jobId>` lines to. */
  logFile: string;
  /** The handler waits until this file exists before it finishes. */
  releaseFile: string;
  leaseMs: number;
} & (
  | { backend: 'embedded'; pgliteDir: string }
  | { backend: 'embedded'; databaseUrl: string }
  | { backend: 'bullmq'; redisUrl: string; prefix: string }
);
