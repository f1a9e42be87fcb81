import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { sql, type SQL } from 'drizzle-orm';
import type { DatabasePort, Db } from '../db/port.js';
import { rowsOf } from '../db/rows.js';
import { assertValidCron, nextCronRun } from './cron.js';
import { EmbeddedJobMonitor } from './embedded-monitor.js';
import { silentQueueLogger, type QueueLogger } from './logger.js';
import {
  InvalidJobPayloadError,
  PRIORITY_RANK,
  QUEUE_NAMES,
  type EnqueueOptions,
  type JobActionResult,
  type JobContext,
  type JobDeclaration,
  type JobPage,
  type JobPageRequest,
  type JobRegistration,
  type JobState,
  type QueueName,
  type QueuePort,
  type QueueStats,
  type WorkerOptions,
} from './port.js';
import {
  assertValidDeclaration,
  assertValidPayload,
  checkPayload,
  describeError,
  indexRegistrations,
} from './registry.js';
import { settlesWithin, sleep, Wakeup } from './timing.js';
import { parseTraceCarrier, runJobInTrace, traceEnqueue, type TraceCarrier } from '../telemetry/tracing.js';

export interface EmbeddedQueueOptions {
  database: DatabasePort;
  /** How long a claimed job stays ours without a heartbeat; a dead worker's jobs return after it. */
  leaseMs: number;
  /** How long stopWorkers() waits for running handlers before handing their jobs back. */
  shutdownTimeoutMs: number;
  /** How often an idle worker looks for jobs enqueued by other processes or coming due. */
  pollIntervalMs?: number;
  /** How often expired leases are looked for; defaults to half the lease. */
  stalledCheckIntervalMs?: number;
  /** Completed jobs are deleted after this long (default 7 days), which also frees their dedupe keys. */
  completedRetentionMs?: number;
  /** Failed jobs are deleted after this long (default 30 days, as the BullMQ backend keeps them). */
  failedRetentionMs?: number;
  /** Written to locked_by; defaults to host:pid:random so a row names the process that holds it. */
  workerId?: string;
  logger?: QueueLogger;
}

const DAY_MS = 86_400_000;
const CLEANUP_INTERVAL_MS = 3_600_000;
/** Cap on one retry delay: backoff doubles per attempt and would otherwise overflow an interval. */
const MAX_BACKOFF_MS = 7 * DAY_MS;
/** Delayed jobs due sooner than this get an in-process timer, so they do not wait for a poll. */
const LOCAL_TIMER_LIMIT_MS = 60_000;

interface ClaimedJob {
  id: string;
  queue: QueueName;
  name: string;
  payload: unknown;
  /** The attempt this claim started (attempts after the increment): 1 on the first run. */
  attempt: number;
  /** The trace of whoever enqueued it. */
  traceCarrier: TraceCarrier | undefined;
}

interface RunningJob {
  job: ClaimedJob;
  controller: AbortController;
  /** Settles once the handler returned and its outcome is written (or discarded). */
  done: Promise<void>;
  /**
   * Set when the job is no longer ours: handed back at shutdown, or its lease was lost to stalled
   * recovery. Its outcome must then not be written (the guarded UPDATEs would refuse it anyway).
   */
  abandoned: boolean;
  /** reportProgress() lands here: the table has no progress column and nothing reads it yet. */
  progress: number;
}

interface WorkerState {
  registrations: Map<string, JobRegistration>;
  repeatable: JobDeclaration<unknown>[];
  running: Map<string, RunningJob>;
  activeByQueue: Map<QueueName, number>;
  stopping: boolean;
  /** Stops claiming and the maintenance loop. */
  stopLoops: AbortController;
  /** Stops lease renewal: only after the in-flight jobs are done or handed back. */
  stopHeartbeat: AbortController;
  loops: Promise<void>[];
  heartbeat: Promise<void>;
  maintenance: Promise<void>;
  stopped?: Promise<void>;
}

interface StatsRow {
  waiting: number;
  delayed: number;
  active: number;
  failed: number;
  completed: number;
  oldest_waiting_ms: number | null;
}

/**
 * The queue without Redis: jobs are rows of queue_jobs, so a restart resumes unfinished work. The
 * same SQL runs on PGlite and PostgreSQL. Several processes may share one PostgreSQL database:
 * claims use FOR UPDATE SKIP LOCKED, leases fence out a worker that lost its job, and repeatable
 * ticks are deduplicated by key.
 */
export class EmbeddedQueue implements QueuePort {
  readonly backend = 'embedded' as const;
  private readonly db: Db;
  private readonly workerId: string;
  private readonly leaseMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly stalledCheckIntervalMs: number;
  private readonly completedRetentionMs: number;
  private readonly failedRetentionMs: number;
  private readonly logger: QueueLogger;
  private readonly monitor: EmbeddedJobMonitor;
  private readonly wakeups = new Map<QueueName, Wakeup>(QUEUE_NAMES.map((q) => [q, new Wakeup()]));
  private readonly delayTimers = new Set<NodeJS.Timeout>();
  private workers: WorkerState | undefined;
  private closed = false;

  constructor(options: EmbeddedQueueOptions) {
    if (!(options.leaseMs >= 100)) throw new Error('EmbeddedQueue: leaseMs must be at least 100');
    // Queue SQL goes to the primary: a claim read from a lagging replica would be worthless.
    this.db = options.database.primary;
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = Math.round(options.leaseMs);
    this.shutdownTimeoutMs = options.shutdownTimeoutMs;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.stalledCheckIntervalMs = options.stalledCheckIntervalMs ?? Math.max(100, Math.round(this.leaseMs / 2));
    this.completedRetentionMs = options.completedRetentionMs ?? 7 * DAY_MS;
    this.failedRetentionMs = options.failedRetentionMs ?? 30 * DAY_MS;
    this.logger = options.logger ?? silentQueueLogger;
    this.monitor = new EmbeddedJobMonitor(this.db);
  }

  async enqueue<P>(job: JobDeclaration<P>, payload: P, options: EnqueueOptions = {}): Promise<string> {
    this.assertOpen();
    assertValidDeclaration(job);
    assertValidPayload(job, payload);
    const delayMs = Math.max(0, Math.round(options.delayMs ?? 0));
    // The enqueuing request's trace goes with the job (trace_context), so the job continues it.
    const id = await traceEnqueue({ name: job.name, queue: job.queue, backend: this.backend }, (carrier) =>
      this.insertJob(job, payload, delayMs, options.dedupeKey ?? null, carrier),
    );
    this.wakeLater(job.queue, delayMs);
    return id;
  }

  async startWorkers(registrations: readonly JobRegistration[], options: WorkerOptions): Promise<void> {
    this.assertOpen();
    if (this.workers) throw new Error('EmbeddedQueue: workers already started; stop them first');
    const byName = indexRegistrations(registrations);
    for (const queue of options.queues) {
      const concurrency = options.concurrency[queue];
      if (!Number.isInteger(concurrency) || concurrency < 0) {
        throw new Error(`EmbeddedQueue: concurrency for queue ${queue} must be a non-negative integer`);
      }
    }
    const repeatable: JobDeclaration<unknown>[] = [];
    for (const { declaration } of byName.values()) {
      assertValidDeclaration(declaration);
      if (!declaration.repeat) continue;
      assertValidCron(declaration.name, declaration.repeat.cron);
      assertValidPayload(declaration, declaration.repeat.payload);
      repeatable.push(declaration);
    }
    const state: WorkerState = {
      registrations: byName,
      repeatable,
      running: new Map(),
      activeByQueue: new Map(),
      stopping: false,
      stopLoops: new AbortController(),
      stopHeartbeat: new AbortController(),
      loops: [],
      heartbeat: Promise.resolve(),
      maintenance: Promise.resolve(),
    };
    // Taken before the first await, so a second concurrent call is refused too.
    this.workers = state;
    try {
      await this.upsertSchedules(repeatable);
      // Jobs of a process that died while we were down: return them before taking new work.
      await this.recoverStalled();
    } catch (error) {
      this.workers = undefined;
      throw error;
    }
    for (const queue of options.queues) {
      const names = [...byName.values()].filter((r) => r.declaration.queue === queue).map((r) => r.declaration.name);
      const concurrency = options.concurrency[queue];
      if (concurrency > 0 && names.length > 0) state.loops.push(this.workLoop(state, queue, concurrency, names));
    }
    state.heartbeat = this.heartbeatLoop(state);
    state.maintenance = this.maintenanceLoop(state);
  }

  async stopWorkers(): Promise<void> {
    const state = this.workers;
    if (!state) return;
    state.stopped ??= this.stop(state);
    await state.stopped;
    if (this.workers === state) this.workers = undefined;
  }

  async stats(queue: QueueName): Promise<QueueStats> {
    const [row] = await this.query<StatsRow>(sql`
      select
        count(*) filter (where status = 'waiting' and run_at <= now())::int as waiting,
        count(*) filter (where status = 'waiting' and run_at > now())::int as delayed,
        count(*) filter (where status = 'active')::int as active,
        count(*) filter (where status = 'failed')::int as failed,
        count(*) filter (where status = 'completed')::int as completed,
        (extract(epoch from now() - min(run_at) filter (where status = 'waiting' and run_at <= now())) * 1000)::float8
          as oldest_waiting_ms
      from queue_jobs
      where queue = ${queue}`);
    return {
      waiting: row?.waiting ?? 0,
      delayed: row?.delayed ?? 0,
      active: row?.active ?? 0,
      failed: row?.failed ?? 0,
      completed: row?.completed ?? 0,
      oldestWaitingMs: Math.max(0, Math.round(row?.oldest_waiting_ms ?? 0)),
    };
  }

  listJobs(queue: QueueName, state: JobState, page: JobPageRequest): Promise<JobPage> {
    return this.monitor.listJobs(queue, state, page);
  }

  async retryJob(queue: QueueName, id: string): Promise<JobActionResult> {
    const result = await this.monitor.retryJob(queue, id);
    // A worker of this process takes it at once; other processes find it at their next poll.
    if (result === 'done') this.wakeups.get(queue)?.notify();
    return result;
  }

  removeJob(queue: QueueName, id: string): Promise<JobActionResult> {
    return this.monitor.removeJob(queue, id);
  }

  async ping(): Promise<void> {
    await this.db.execute(sql`select 1 from queue_jobs limit 1`);
  }

  /** Stops the workers. The database belongs to the caller and stays open. */
  async close(): Promise<void> {
    await this.stopWorkers();
    this.closed = true;
    for (const timer of this.delayTimers) clearTimeout(timer);
    this.delayTimers.clear();
  }

  // --- enqueueing -------------------------------------------------------------------------------

  private async insertJob(
    job: JobDeclaration<unknown>,
    payload: unknown,
    delayMs: number,
    dedupeKey: string | null,
    traceCarrier?: TraceCarrier,
  ): Promise<string> {
    const payloadJson = JSON.stringify(payload);
    const traceJson = traceCarrier ? JSON.stringify(traceCarrier) : null;
    if (payloadJson === undefined) throw new InvalidJobPayloadError(job.name, 'not representable as JSON');
    // ON CONFLICT DO NOTHING then SELECT, not DO UPDATE ... RETURNING: an update would rewrite the
    // existing row (and take its lock) just to read its id. The loop covers the holder of the key
    // being deleted by cleanup between the two statements.
    for (let round = 0; round < 3; round++) {
      const inserted = await this.query<{ id: string }>(sql`
        insert into queue_jobs (queue, name, payload, priority, run_at, max_attempts, backoff_ms, dedupe_key, trace_context)
        values (
          ${job.queue}, ${job.name}, ${payloadJson}::jsonb, ${PRIORITY_RANK[job.priority]}::int,
          now() + ${delayMs}::float8 * interval '1 millisecond',
          ${job.attempts}::int, ${job.backoffMs}::int, ${dedupeKey}::text, ${traceJson}::jsonb
        )
        on conflict (queue, dedupe_key) do nothing
        returning id::text as id`);
      if (inserted[0]) return inserted[0].id;
      const existing = await this.query<{ id: string }>(
        sql`select id::text as id from queue_jobs where queue = ${job.queue} and dedupe_key = ${dedupeKey}::text`,
      );
      if (existing[0]) return existing[0].id;
    }
    throw new Error(`EmbeddedQueue: could not enqueue ${job.name} with dedupe key ${dedupeKey ?? ''}`);
  }

  /** Wakes this process's worker for the queue now, or when a short delay has passed. */
  private wakeLater(queue: QueueName, delayMs: number): void {
    const wakeup = this.wakeups.get(queue);
    if (!wakeup) return;
    if (delayMs === 0) return wakeup.notify();
    if (delayMs > LOCAL_TIMER_LIMIT_MS) return; // polling finds it
    const timer = setTimeout(() => {
      this.delayTimers.delete(timer);
      wakeup.notify();
    }, delayMs + 5);
    // A pending wake-up must not keep a process alive that has nothing else to do.
    timer.unref();
    this.delayTimers.add(timer);
  }

  // --- working ----------------------------------------------------------------------------------

  private async workLoop(state: WorkerState, queue: QueueName, concurrency: number, names: string[]): Promise<void> {
    const wakeup = this.wakeups.get(queue) ?? new Wakeup();
    const signal = state.stopLoops.signal;
    while (!state.stopping) {
      if ((state.activeByQueue.get(queue) ?? 0) >= concurrency) {
        await wakeup.wait(this.pollIntervalMs, signal);
        continue;
      }
      let job: ClaimedJob | undefined;
      try {
        job = await this.claim(queue, names);
      } catch (error) {
        this.logger.error({ err: error, queue }, 'embedded queue: claiming a job failed');
        await sleep(this.pollIntervalMs * 4, signal);
        continue;
      }
      if (!job) {
        await wakeup.wait(this.pollIntervalMs, signal);
        continue;
      }
      if (state.stopping) {
        // Claimed while stopWorkers() began: give it straight back, attempt not counted.
        await this.handBack([job]).catch((error: unknown) => this.logHandBackFailure(error));
        break;
      }
      this.start(state, job);
    }
  }

  /**
   * Takes the next ready job atomically. SKIP LOCKED lets several workers (and processes) claim at
   * once without waiting on each other's rows; a worker only takes names it has a handler for, so
   * during a rolling deploy an old process leaves a new job type for a new one.
   */
  private async claim(queue: QueueName, names: string[]): Promise<ClaimedJob | undefined> {
    const nameList = sql.join(
      names.map((name) => sql`${name}`),
      sql`, `,
    );
    const [row] = await this.query<{
      id: string;
      name: string;
      payload: string;
      attempts: number;
      trace: string | null;
    }>(sql`
      update queue_jobs
      set status = 'active', attempts = attempts + 1, locked_by = ${this.workerId},
          locked_until = now() + ${this.leaseMs}::int * interval '1 millisecond'
      where id = (
        select id from queue_jobs
        where queue = ${queue} and status = 'waiting' and run_at <= now() and name in (${nameList})
        order by priority, run_at, id
        limit 1
        for update skip locked
      )
      returning id::text as id, name, payload::text as payload, attempts, trace_context::text as trace`);
    if (!row) return undefined;
    return {
      id: row.id,
      queue,
      name: row.name,
      payload: JSON.parse(row.payload) as unknown,
      attempt: row.attempts,
      traceCarrier: parseTraceCarrier(row.trace),
    };
  }

  private start(state: WorkerState, job: ClaimedJob): void {
    const running: RunningJob = {
      job,
      controller: new AbortController(),
      done: Promise.resolve(),
      abandoned: false,
      progress: 0,
    };
    state.running.set(job.id, running);
    state.activeByQueue.set(job.queue, (state.activeByQueue.get(job.queue) ?? 0) + 1);
    running.done = this.execute(state, running)
      .catch((error: unknown) =>
        this.logger.error(
          { err: error, jobId: job.id, job: job.name },
          'embedded queue: recording a job outcome failed',
        ),
      )
      .finally(() => {
        state.running.delete(job.id);
        state.activeByQueue.set(job.queue, (state.activeByQueue.get(job.queue) ?? 1) - 1);
        this.wakeups.get(job.queue)?.notify();
      });
  }

  private async execute(state: WorkerState, running: RunningJob): Promise<void> {
    const { job } = running;
    const registration = state.registrations.get(job.name);
    if (!registration) {
      // claim() only takes registered names, so this is a bug, not a deploy mismatch.
      await this.failPermanently(job, `No handler registered for ${job.name}`);
      return;
    }
    const payload = checkPayload(registration.declaration, job.payload);
    if (!payload.ok) {
      // Retrying cannot fix a payload the current code rejects: fail at once, loudly.
      const message = new InvalidJobPayloadError(job.name, payload.detail).message;
      this.logger.error({ jobId: job.id, job: job.name }, message);
      await this.failPermanently(job, message);
      return;
    }
    const context: JobContext = {
      jobId: job.id,
      attempt: job.attempt,
      signal: running.controller.signal,
      reportProgress: async (percent) => {
        running.progress = Math.min(100, Math.max(0, percent));
      },
    };
    let failure: { error: unknown } | undefined;
    try {
      await runJobInTrace(
        { name: job.name, queue: job.queue, backend: this.backend, id: job.id, attempt: job.attempt },
        job.traceCarrier,
        () => registration.handle(payload.value, context),
      );
    } catch (error) {
      failure = { error };
    }
    if (running.abandoned) return;
    if (!failure) {
      await this.complete(job);
    } else if (state.stopping && running.controller.signal.aborted) {
      // The handler stopped because we are shutting down, as JobContext.signal asks it to: that is
      // not a failed attempt, so the job goes back as it was for another worker.
      await this.handBack([job]);
    } else {
      // The last attempt failing needs a person (ERROR); an attempt that will be retried does not yet.
      const final = job.attempt >= registration.declaration.attempts;
      this.logger[final ? 'error' : 'warn'](
        { err: failure.error, jobId: job.id, job: job.name, attempt: job.attempt },
        final ? 'job failed after its last attempt' : 'job attempt failed; it will be retried',
      );
      await this.fail(job, describeError(failure.error));
    }
  }

  /** Only the claim that is still ours may write an outcome: same worker, same attempt, still active. */
  private ours(job: ClaimedJob): SQL {
    return sql`id = ${job.id}::bigint and status = 'active' and locked_by = ${this.workerId} and attempts = ${job.attempt}::int`;
  }

  private async complete(job: ClaimedJob): Promise<void> {
    await this.db.execute(sql`
      update queue_jobs
      set status = 'completed', finished_at = now(), locked_by = null, locked_until = null
      where ${this.ours(job)}`);
  }

  /** A failed attempt: retry after backoff * 2^(attempt-1), or fail for good after the last one. */
  private async fail(job: ClaimedJob, error: string): Promise<void> {
    await this.db.execute(sql`
      update queue_jobs
      set status = case when attempts >= max_attempts then 'failed' else 'waiting' end,
          run_at = case when attempts >= max_attempts then run_at
                   else now() + least(backoff_ms * power(2, attempts - 1), ${MAX_BACKOFF_MS}::float8)
                        * interval '1 millisecond' end,
          finished_at = case when attempts >= max_attempts then now() else null end,
          last_error = ${error}, locked_by = null, locked_until = null
      where ${this.ours(job)}`);
  }

  private async failPermanently(job: ClaimedJob, error: string): Promise<void> {
    await this.db.execute(sql`
      update queue_jobs
      set status = 'failed', finished_at = now(), last_error = ${error}, locked_by = null, locked_until = null
      where ${this.ours(job)}`);
  }

  /** Returns jobs to the queue with the attempt they used given back (shutdown, not failure). */
  private async handBack(jobs: ClaimedJob[]): Promise<void> {
    for (const job of jobs) {
      await this.db.execute(sql`
        update queue_jobs
        set status = 'waiting', attempts = attempts - 1, locked_by = null, locked_until = null
        where ${this.ours(job)}`);
      this.wakeups.get(job.queue)?.notify();
    }
  }

  private logHandBackFailure(error: unknown): void {
    this.logger.error({ err: error }, 'embedded queue: handing a job back failed; its lease will return it');
  }

  // --- leases -----------------------------------------------------------------------------------

  /**
   * Renews the leases of every job this worker runs, at a third of the lease so two missed beats
   * still leave time. A job whose row no longer says it is ours lost its lease (stalled recovery ran
   * while this process was frozen or cut off): its handler is told to stop and its outcome dropped.
   */
  private async heartbeatLoop(state: WorkerState): Promise<void> {
    const signal = state.stopHeartbeat.signal;
    const interval = Math.max(50, Math.floor(this.leaseMs / 3));
    while (!signal.aborted) {
      await sleep(interval, signal);
      if (signal.aborted) break;
      const held = [...state.running.values()].filter((r) => !r.abandoned);
      if (!held.length) continue;
      try {
        const renewed = await this.query<{ id: string; attempts: number }>(sql`
          update queue_jobs
          set locked_until = now() + ${this.leaseMs}::int * interval '1 millisecond'
          where status = 'active' and locked_by = ${this.workerId}
            and id in (${sql.join(
              held.map((r) => sql`${r.job.id}::bigint`),
              sql`, `,
            )})
          returning id::text as id, attempts`);
        const stillOurs = new Set(renewed.map((r) => `${r.id}/${r.attempts}`));
        for (const running of held) {
          if (stillOurs.has(`${running.job.id}/${running.job.attempt}`) || !state.running.has(running.job.id)) continue;
          running.abandoned = true;
          running.controller.abort(new Error('lease lost: the job was returned to the queue'));
          this.logger.warn({ jobId: running.job.id, job: running.job.name }, 'embedded queue: lease lost');
        }
      } catch (error) {
        this.logger.error({ err: error }, 'embedded queue: renewing leases failed');
      }
    }
  }

  /**
   * Returns jobs whose lease ran out: their worker died (or lost the database for longer than the
   * lease). The attempt it used counts, so a job that kills its worker every time ends 'failed'.
   */
  private async recoverStalled(): Promise<void> {
    const recovered = await this.query<{ queue: QueueName; status: string }>(sql`
      update queue_jobs
      set status = case when attempts >= max_attempts then 'failed' else 'waiting' end,
          finished_at = case when attempts >= max_attempts then now() else null end,
          last_error = 'lease expired during attempt ' || attempts || ' (worker ' || coalesce(locked_by, '?')
                       || ' died or lost the database)',
          locked_by = null, locked_until = null
      where status = 'active' and locked_until < now()
      returning queue, status`);
    for (const row of recovered) {
      this.logger.warn({ queue: row.queue, status: row.status }, 'embedded queue: recovered a stalled job');
      if (row.status === 'waiting') this.wakeups.get(row.queue)?.notify();
    }
  }

  // --- schedules and housekeeping ----------------------------------------------------------------

  private async maintenanceLoop(state: WorkerState): Promise<void> {
    const signal = state.stopLoops.signal;
    let lastStalledCheck = Date.now();
    let lastCleanup = 0;
    while (!signal.aborted) {
      try {
        await this.enqueueDueSchedules(state.repeatable);
        if (Date.now() - lastStalledCheck >= this.stalledCheckIntervalMs) {
          lastStalledCheck = Date.now();
          await this.recoverStalled();
        }
        if (Date.now() - lastCleanup >= CLEANUP_INTERVAL_MS) {
          lastCleanup = Date.now();
          await this.cleanup();
        }
      } catch (error) {
        if (!signal.aborted) this.logger.error({ err: error }, 'embedded queue: maintenance failed');
      }
      await sleep(this.pollIntervalMs, signal);
    }
  }

  /**
   * Keeps each repeatable declaration's row. An unchanged cron keeps its next_run_at, so a restart
   * neither skips nor repeats a tick; a changed cron starts over from now.
   */
  private async upsertSchedules(declarations: JobDeclaration<unknown>[]): Promise<void> {
    for (const declaration of declarations) {
      const repeat = declaration.repeat;
      if (!repeat) continue;
      const next = nextCronRun(repeat.cron, new Date());
      await this.db.execute(sql`
        insert into queue_schedules (name, queue, cron, timezone, payload, next_run_at, updated_at)
        values (${declaration.name}, ${declaration.queue}, ${repeat.cron}, 'UTC',
                ${JSON.stringify(repeat.payload)}::jsonb, ${next.toISOString()}::timestamptz, now())
        on conflict (name) do update
        set queue = excluded.queue, payload = excluded.payload, updated_at = now(),
            next_run_at = case when queue_schedules.cron = excluded.cron and queue_schedules.timezone = excluded.timezone
                               then queue_schedules.next_run_at else excluded.next_run_at end,
            cron = excluded.cron, timezone = excluded.timezone`);
    }
  }

  /**
   * Enqueues each due tick once, however many instances run this. The job's dedupe key names the
   * tick, so a second instance's insert finds the first one's job; then next_run_at moves on with a
   * compare-and-set, so only one instance advances it. Insert first, advance second: a crash in
   * between leaves the tick due, and the retry finds the job already there. After downtime only the
   * oldest missed tick runs (one catch-up, not one per missed tick).
   */
  private async enqueueDueSchedules(declarations: JobDeclaration<unknown>[]): Promise<void> {
    if (!declarations.length) return;
    const byName = new Map(declarations.map((d) => [d.name, d]));
    const due = await this.query<{ name: string; next_run_ms: number }>(sql`
      select name, (extract(epoch from next_run_at) * 1000)::float8 as next_run_ms
      from queue_schedules
      where next_run_at <= now() and name in (${sql.join(
        declarations.map((d) => sql`${d.name}`),
        sql`, `,
      )})`);
    for (const row of due) {
      const declaration = byName.get(row.name);
      if (!declaration?.repeat) continue;
      const tick = new Date(Math.round(row.next_run_ms));
      await this.insertJob(
        declaration,
        declaration.repeat.payload,
        0,
        `repeat:${declaration.name}:${tick.toISOString()}`,
      );
      const next = nextCronRun(declaration.repeat.cron, new Date(Math.max(Date.now(), tick.getTime())));
      await this.db.execute(sql`
        update queue_schedules set next_run_at = ${next.toISOString()}::timestamptz, updated_at = now()
        where name = ${declaration.name} and next_run_at = ${tick.toISOString()}::timestamptz`);
      this.wakeups.get(declaration.queue)?.notify();
    }
  }

  /** Completed jobs are kept a week (for inspection, and so dedupe keys hold that long), failed a month. */
  private async cleanup(): Promise<void> {
    await this.db.execute(sql`
      delete from queue_jobs
      where (status = 'completed' and finished_at < now() - ${this.completedRetentionMs}::float8 * interval '1 millisecond')
         or (status = 'failed' and finished_at < now() - ${this.failedRetentionMs}::float8 * interval '1 millisecond')`);
  }

  // --- shutdown ---------------------------------------------------------------------------------

  private async stop(state: WorkerState): Promise<void> {
    state.stopping = true;
    state.stopLoops.abort();
    for (const running of state.running.values()) running.controller.abort(new Error('worker shutting down'));
    await Promise.allSettled(state.loops);
    const inFlight = [...state.running.values()];
    const finished = await settlesWithin(Promise.allSettled(inFlight.map((r) => r.done)), this.shutdownTimeoutMs);
    if (!finished) {
      const leftovers = [...state.running.values()].filter((r) => !r.abandoned);
      for (const running of leftovers) running.abandoned = true;
      this.logger.warn(
        { jobIds: leftovers.map((r) => r.job.id), timeoutMs: this.shutdownTimeoutMs },
        'embedded queue: handlers still running at the shutdown timeout; their jobs go back to the queue',
      );
      await this.handBack(leftovers.map((r) => r.job)).catch((error: unknown) => this.logHandBackFailure(error));
    }
    state.stopHeartbeat.abort();
    await Promise.allSettled([state.heartbeat, state.maintenance]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('EmbeddedQueue is closed');
  }

  private async query<T>(query: SQL): Promise<T[]> {
    return rowsOf<T>(await this.db.execute(query));
  }
}
