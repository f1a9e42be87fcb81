import type { z } from 'zod';

/** Named queues, so video workers and general workers run and scale apart. */
export const QUEUE_NAMES = ['video', 'default'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** The design's priority order: transcode high, email medium, statistics low. */
export type JobPriority = 'high' | 'medium' | 'low';
/** Lower runs first, as BullMQ counts. */
export const PRIORITY_RANK: Record<JobPriority, number> = { high: 1, medium: 5, low: 10 };

export interface JobDeclaration<P = unknown> {
  /** Unique, dotted by module: `notifications.send-email`. */
  readonly name: string;
  readonly queue: QueueName;
  readonly priority: JobPriority;
  /** Validated when enqueued and again when run, so a stale payload fails loudly, not halfway. */
  readonly payload: z.ZodType<P>;
  /** Total tries, first run included. */
  readonly attempts: number;
  /** First retry delay; each later retry doubles it. */
  readonly backoffMs: number;
  /** When set, the job is repeatable and workers keep it scheduled on this cron (UTC). */
  readonly repeat?: { cron: string; payload: P };
}

export function defineJob<P>(
  declaration: Omit<JobDeclaration<P>, 'attempts' | 'backoffMs'> & { attempts?: number; backoffMs?: number },
): JobDeclaration<P> {
  return { attempts: 3, backoffMs: 5_000, ...declaration };
}

export interface JobContext {
  readonly jobId: string;
  /** 1 on the first run. */
  readonly attempt: number;
  /** Aborted when the worker shuts down; long handlers should stop and let the job be retried. */
  readonly signal: AbortSignal;
  reportProgress(percent: number): Promise<void>;
}

export type JobHandler<P> = (payload: P, context: JobContext) => Promise<void>;

/** A declaration with its handler: what a module's jobs.ts hands the worker. */
export interface JobRegistration<P = unknown> {
  readonly declaration: JobDeclaration<P>;
  readonly handle: JobHandler<P>;
}

/**
 * Pairs a declaration with its handler and erases the payload type, so registrations of different
 * jobs fit in one list. Safe because a queue validates every payload against
 * `declaration.payload` before it calls `handle`.
 */
export function registerJob<P>(declaration: JobDeclaration<P>, handle: JobHandler<P>): JobRegistration {
  return {
    declaration: declaration as JobDeclaration<unknown>,
    handle: handle as JobHandler<unknown>,
  };
}

export interface EnqueueOptions {
  delayMs?: number;
  /** Enqueueing twice with the same key makes one job (while the first is kept). */
  dedupeKey?: string;
}

export interface QueueStats {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  /** Age of the oldest job ready to run but not yet taken, 0 when none. */
  oldestWaitingMs: number;
}

export interface WorkerOptions {
  queues: readonly QueueName[];
  concurrency: Record<QueueName, number>;
}

/** The states a job monitor lists; `delayed` includes jobs waiting out a retry backoff. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** One job as a monitor shows it. The payload is left out: it may carry addresses or one-time tokens. */
export interface JobSummary {
  /** Unique within its queue only (BullMQ numbers each queue's jobs from 1). */
  readonly id: string;
  readonly queue: QueueName;
  readonly name: string;
  readonly state: JobState;
  /** Attempts that ended (failed or completed); a running attempt is not counted yet. */
  readonly attemptsMade: number;
  readonly maxAttempts: number;
  /** The last failed attempt's error (with its stack when known); null when none failed since the last retry. */
  readonly error: string | null;
  readonly createdAt: Date;
  /** When it completed or failed for good; null while unfinished. */
  readonly finishedAt: Date | null;
}

export interface JobPageRequest {
  /** 1-based. */
  page: number;
  pageSize: number;
}

export interface JobPage {
  items: JobSummary[];
  /** Jobs in this queue and state, for paging. */
  total: number;
}

/** `wrong_state`: the job exists but the action does not apply to it (retrying one that has not failed). */
export type JobActionResult = 'done' | 'not_found' | 'wrong_state';

export interface QueuePort {
  readonly backend: 'embedded' | 'bullmq';
  enqueue<P>(job: JobDeclaration<P>, payload: P, options?: EnqueueOptions): Promise<string>;
  /** Starts taking jobs from the given queues; also keeps every repeatable declaration scheduled. */
  startWorkers(registrations: readonly JobRegistration[], options: WorkerOptions): Promise<void>;
  /** Graceful: stop taking jobs, let in-flight jobs finish (up to the shutdown timeout), return the rest. */
  stopWorkers(): Promise<void>;
  stats(queue: QueueName): Promise<QueueStats>;
  /**
   * A page of one queue's jobs in one state: failed and completed newest first, waiting in the
   * order they will run (priority, then age), delayed soonest first, active oldest first.
   */
  listJobs(queue: QueueName, state: JobState, page: JobPageRequest): Promise<JobPage>;
  /** Sends a failed job back to wait with a fresh set of attempts (the monitor's Retry). */
  retryJob(queue: QueueName, id: string): Promise<JobActionResult>;
  /**
   * Deletes a finished (failed or completed) job. Unfinished ones are refused: an active job is
   * running, and a waiting or delayed one may be a schedule's next tick.
   */
  removeJob(queue: QueueName, id: string): Promise<JobActionResult>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class MissingJobHandlerError extends Error {
  constructor(readonly jobNames: string[]) {
    super(`Refusing to start: no handler for declared job(s) ${jobNames.join(', ')}`);
    this.name = 'MissingJobHandlerError';
  }
}

export class InvalidJobPayloadError extends Error {
  constructor(jobName: string, detail: string) {
    super(`Invalid payload for job ${jobName}: ${detail}`);
    this.name = 'InvalidJobPayloadError';
  }
}
