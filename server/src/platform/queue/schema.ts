import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Jobs of the embedded (in-process) queue. Kept in the database so a restart resumes unfinished
 * work; a job whose lease ran out while `active` belonged to a process that died and is run again.
 */
export const queueJobs = pgTable(
  'queue_jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    queue: text('queue').notNull(),
    name: text('name').notNull(),
    payload: jsonb('payload').notNull(),
    /** Lower runs first, as in BullMQ. */
    priority: integer('priority').notNull(),
    status: text('status', { enum: ['waiting', 'active', 'completed', 'failed'] })
      .notNull()
      .default('waiting'),
    runAt: timestamp('run_at', { withTimezone: true }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    backoffMs: integer('backoff_ms').notNull(),
    /** A caller-chosen id: enqueueing the same key twice makes one job. */
    dedupeKey: text('dedupe_key'),
    lockedBy: text('locked_by'),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: text('last_error'),
    traceContext: jsonb('trace_context'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('queue_jobs_ready_idx')
      .on(t.queue, t.priority, t.runAt, t.id)
      .where(sql`${t.status} = 'waiting'`),
    index('queue_jobs_lease_idx')
      .on(t.lockedUntil)
      .where(sql`${t.status} = 'active'`),
    uniqueIndex('queue_jobs_dedupe_key').on(t.queue, t.dedupeKey),
  ],
);

/** Repeatable (cron) jobs of the embedded queue. */
export const queueSchedules = pgTable('queue_schedules', {
  name: text('name').primaryKey(),
  queue: text('queue').notNull(),
  cron: text('cron').notNull(),
  timezone: text('timezone').notNull().default('UTC'),
  payload: jsonb('payload').notNull(),
  nextRunAt: timestamp('next_run_at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
