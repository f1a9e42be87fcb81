import { Queue, UnrecoverableError, WaitingError, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { listBullJobs, removeBullJob, retryBullJob } from './bullmq-monitor.js';
import { assertValidCron } from './cron.js';
import { silentQueueLogger, type QueueLogger } from './logger.js';
import {
  InvalidJobPayloadError,
  PRIORITY_RANK,
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
import { assertValidDeclaration, assertValidPayload, checkPayload, indexRegistrations } from './registry.js';
import { settlesWithin, withTimeout } from './timing.js';
import { parseTraceCarrier, runJobInTrace, traceEnqueue, traceRedisCommands } from '../telemetry/tracing.js';

export interface BullmqQueueOptions {
  redisUrl: string;
  /** BullMQ's lockDuration and stalledInterval: how soon a dead worker's job runs elsewhere. */
  leaseMs: number;
  /** How long stopWorkers() waits for running handlers before handing their jobs back. */
  shutdownTimeoutMs: number;
  /** Redis key prefix. Tests give each run its own so they can share one Redis. */
  prefix?: string;
  /** How often a job may be found stalled (its worker died) before it fails; default 2. */
  maxStalledCount?: number;
  /** ping() gives up after this long; default 1000 ms, so a health check never hangs. */
  pingTimeoutMs?: number;
  logger?: QueueLogger;
}

/** Enqueueing or pinging while Redis is unreachable: fails at once rather than queueing in memory. */
export class QueueUnavailableError extends Error {
  constructor(detail: string) {
    super(`Queue unavailable: ${detail}`);
    this.name = 'QueueUnavailableError';
  }
}

const DAY_SECONDS = 86_400;
/** Right after start-up the first connection is still being made: calls wait this long for it. */
const FIRST_CONNECT_WAIT_MS = 5_000;
const STARTUP_CONNECT_WAIT_MS = 15_000;
/** Connection errors repeat on every reconnect attempt; one line per source per window is enough. */
const ERROR_LOG_WINDOW_MS = 30_000;
/** Once no handler runs, how long a worker's close() may take before its sockets are dropped. */
const IDLE_CLOSE_GRACE_MS = 2_000;

type BullJob = Job<unknown, void, string>;

interface InFlight {
  job: BullJob;
  token: string | undefined;
  controller: AbortController;
  /** Ends the processor early with a WaitingError once the job was moved back to the queue. */
  abandon: (error: Error) => void;
  handedBack: boolean;
}

interface WorkerState {
  registrations: Map<string, JobRegistration>;
  /** Workers' own connection: BullMQ requires maxRetriesPerRequest null for workers. */
  connection: Redis;
  workers: Worker<unknown, void, string>[];
  inFlight: Map<string, InFlight>;
  stopping: boolean;
  stopped?: Promise<void>;
}

/** A dedupe key as a BullMQ job id: ids may not contain ':' nor look like integers. Reversible, so keys cannot collide. */
export function dedupeKeyToJobId(key: string): string {
  return `dedupe-${key.replace(/%/g, '%25').replace(/:/g, '%3A')}`;
}

/**
 * The queue on Redis through BullMQ: one BullMQ queue per QueueName, one Worker per queue this
 * process works. The producer connection has no offline queue, so enqueue() and ping() fail at
 * once while Redis is down and work again when ioredis has reconnected, without a new client.
 */
export class BullmqQueue implements QueuePort {
  readonly backend = 'bullmq' as const;
  private readonly redisUrl: string;
  private readonly leaseMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly prefix: string;
  private readonly maxStalledCount: number;
  private readonly pingTimeoutMs: number;
  private readonly logger: QueueLogger;
  private readonly producer: Redis;
  private readonly queues = new Map<QueueName, Queue<unknown, void, string>>();
  private readonly lastErrorLog = new Map<string, number>();
  private workers: WorkerState | undefined;
  private closed = false;
  /** Whether the producer connection was ever ready: before that, calls wait for it briefly... */
  private connectedOnce = false;
  /** ...unless a first attempt already failed: then Redis is down and waiting would not be "fast". */
  private firstConnectFailed = false;

  constructor(options: BullmqQueueOptions) {
    this.redisUrl = options.redisUrl;
    this.leaseMs = Math.round(options.leaseMs);
    this.shutdownTimeoutMs = options.shutdownTimeoutMs;
    this.prefix = options.prefix ?? 'lectio';
    this.maxStalledCount = options.maxStalledCount ?? 2;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 1_000;
    this.logger = options.logger ?? silentQueueLogger;
    this.producer = new Redis(this.redisUrl, {
      enableOfflineQueue: false,
      // A command caught by a disconnect fails instead of being retried for a long while.
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    this.producer.on('error', (error: Error) => {
      if (!this.connectedOnce) this.firstConnectFailed = true;
      this.logThrottled('producer', error);
    });
    this.producer.on('ready', () => {
      this.connectedOnce = true;
    });
    // Enqueues and queue reads inside a request or job get Redis spans; the workers' blocking
    // connection is left alone (its polls belong to no trace).
    traceRedisCommands(this.producer, { 'lectio.redis.client': 'queue' });
  }

  async enqueue<P>(job: JobDeclaration<P>, payload: P, options: EnqueueOptions = {}): Promise<string> {
    this.assertOpen();
    assertValidDeclaration(job);
    assertValidPayload(job, payload);
    await this.ensureConnected(FIRST_CONNECT_WAIT_MS);
    const delayMs = Math.max(0, Math.round(options.delayMs ?? 0));
    // The enqueuing request's trace rides in BullMQ's own field for it (opts.telemetry.metadata),
    // which BullMQ stores with the job and keeps across retries.
    const added = await traceEnqueue({ name: job.name, queue: job.queue, backend: this.backend }, (carrier) =>
      this.queue(job.queue).add(job.name, payload, {
        ...this.jobOptions(job),
        ...(delayMs > 0 ? { delay: delayMs } : {}),
        ...(options.dedupeKey !== undefined ? { jobId: dedupeKeyToJobId(options.dedupeKey) } : {}),
        ...(carrier ? { telemetry: { metadata: JSON.stringify(carrier) } } : {}),
      }),
    );
    if (!added.id) throw new Error(`BullMQ returned no id for job ${job.name}`);
    return added.id;
  }

  async startWorkers(registrations: readonly JobRegistration[], options: WorkerOptions): Promise<void> {
    this.assertOpen();
    if (this.workers) throw new Error('BullmqQueue: workers already started; stop them first');
    const byName = indexRegistrations(registrations);
    for (const queue of options.queues) {
      const concurrency = options.concurrency[queue];
      if (!Number.isInteger(concurrency) || concurrency < 0) {
        throw new Error(`BullmqQueue: concurrency for queue ${queue} must be a non-negative integer`);
      }
    }
    for (const { declaration } of byName.values()) {
      assertValidDeclaration(declaration);
      if (!declaration.repeat) continue;
      assertValidCron(declaration.name, declaration.repeat.cron);
      assertValidPayload(declaration, declaration.repeat.payload);
    }
    // Taken before the first await, so a second concurrent call is refused too.
    const connection = new Redis(this.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    connection.on('error', (error: Error) => this.logThrottled('worker connection', error));
    const state: WorkerState = { registrations: byName, connection, workers: [], inFlight: new Map(), stopping: false };
    this.workers = state;
    try {
      // Starting a worker is no hot path: give a slow or briefly failing first connection (a
      // loaded machine, Redis restarting) the full start-up wait instead of failing fast.
      if (this.producer.status !== 'ready') {
        await becomesReady(this.producer, STARTUP_CONNECT_WAIT_MS, { throughErrors: true });
      }
      await this.ensureConnected(FIRST_CONNECT_WAIT_MS);
      // Upserting is idempotent, so every instance may do it at start: BullMQ keeps one scheduler
      // per name and names each tick's job after the tick, so ticks are not doubled.
      for (const { declaration } of byName.values()) {
        if (!declaration.repeat) continue;
        await this.queue(declaration.queue).upsertJobScheduler(
          declaration.name,
          { pattern: declaration.repeat.cron, tz: 'UTC' },
          { name: declaration.name, data: declaration.repeat.payload, opts: this.jobOptions(declaration) },
        );
      }
    } catch (error) {
      this.workers = undefined;
      connection.disconnect();
      throw error;
    }
    for (const queue of options.queues) {
      const concurrency = options.concurrency[queue];
      const handles = [...byName.values()].some((r) => r.declaration.queue === queue);
      // A worker without handlers for a queue would take its jobs only to fail them.
      if (concurrency === 0 || !handles) continue;
      const worker = new Worker<unknown, void, string>(queue, (job, token) => this.process(state, job, token), {
        connection,
        prefix: this.prefix,
        concurrency,
        lockDuration: this.leaseMs,
        stalledInterval: this.leaseMs,
        maxStalledCount: this.maxStalledCount,
      });
      worker.on('error', (error: Error) => this.logThrottled(`worker ${queue}`, error));
      worker.on('failed', (job, error) => {
        const details = { err: error, jobId: job?.id, job: job?.name, attemptsMade: job?.attemptsMade };
        // The last attempt failing needs a person (ERROR); an attempt that will be retried does not yet.
        const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
        if (final) this.logger.error(details, 'job failed after its last attempt');
        else this.logger.warn(details, 'job attempt failed; it will be retried');
      });
      state.workers.push(worker);
    }
    await Promise.all(state.workers.map((w) => w.waitUntilReady()));
  }

  async stopWorkers(): Promise<void> {
    const state = this.workers;
    if (!state) return;
    state.stopped ??= this.stop(state);
    await state.stopped;
    if (this.workers === state) this.workers = undefined;
  }

  async stats(queue: QueueName): Promise<QueueStats> {
    await this.ensureConnected(FIRST_CONNECT_WAIT_MS);
    const bull = this.queue(queue);
    const counts = await bull.getJobCounts('wait', 'prioritized', 'paused', 'active', 'delayed', 'failed', 'completed');
    const count = (type: string) => counts[type] ?? 0;
    return {
      // BullMQ keeps jobs with a priority apart from plain waiting ones; to callers both wait.
      waiting: count('wait') + count('prioritized') + count('paused'),
      active: count('active'),
      delayed: count('delayed'),
      failed: count('failed'),
      completed: count('completed'),
      oldestWaitingMs: await this.oldestWaitingMs(bull),
    };
  }

  async listJobs(queue: QueueName, state: JobState, page: JobPageRequest): Promise<JobPage> {
    await this.ensureConnected(FIRST_CONNECT_WAIT_MS);
    return listBullJobs(this.queue(queue), queue, state, page);
  }

  async retryJob(queue: QueueName, id: string): Promise<JobActionResult> {
    await this.ensureConnected(FIRST_CONNECT_WAIT_MS);
    return retryBullJob(this.queue(queue), id);
  }

  async removeJob(queue: QueueName, id: string): Promise<JobActionResult> {
    await this.ensureConnected(FIRST_CONNECT_WAIT_MS);
    return removeBullJob(this.queue(queue), id);
  }

  async ping(): Promise<void> {
    const started = Date.now();
    await this.ensureConnected(this.pingTimeoutMs);
    const left = Math.max(1, this.pingTimeoutMs - (Date.now() - started));
    await withTimeout(this.producer.ping(), left, `Redis did not answer PING within ${this.pingTimeoutMs} ms`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.stopWorkers();
    this.closed = true;
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    await quitOrDisconnect(this.producer);
  }

  // ----------------------------------------------------------------------------------------------

  private jobOptions(declaration: JobDeclaration<unknown>): JobsOptions {
    return {
      priority: PRIORITY_RANK[declaration.priority],
      attempts: declaration.attempts,
      backoff: { type: 'exponential', delay: declaration.backoffMs },
      // As long as the embedded queue keeps them; dedupe keys hold while the job is kept.
      removeOnComplete: { age: 7 * DAY_SECONDS, count: 10_000 },
      removeOnFail: { age: 30 * DAY_SECONDS },
    };
  }

  private async process(state: WorkerState, job: BullJob, token: string | undefined): Promise<void> {
    const jobId = job.id;
    if (!jobId) throw new UnrecoverableError('job without an id');
    const registration = state.registrations.get(job.name);
    // Thrown as a plain error so it is retried: during a rolling deploy a newer worker may know it.
    if (!registration) throw new Error(`No handler for job ${job.name} in this worker`);
    const payload = checkPayload(registration.declaration, job.data);
    if (!payload.ok) {
      // UnrecoverableError: retrying cannot fix a payload the current code rejects.
      throw new UnrecoverableError(new InvalidJobPayloadError(job.name, payload.detail).message);
    }
    let abandon: (error: Error) => void = () => undefined;
    const abandoned = new Promise<never>((_, reject) => {
      abandon = reject;
    });
    const entry: InFlight = { job, token, controller: new AbortController(), abandon, handedBack: false };
    if (state.stopping) entry.controller.abort(new Error('worker shutting down'));
    state.inFlight.set(jobId, entry);
    const context: JobContext = {
      jobId,
      attempt: job.attemptsMade + 1,
      signal: entry.controller.signal,
      reportProgress: async (percent) => {
        try {
          await job.updateProgress(Math.min(100, Math.max(0, percent)));
        } catch (error) {
          // Progress is advisory: losing an update must not fail the job.
          this.logThrottled('progress', error);
        }
      },
    };
    try {
      const run = runJobInTrace(
        { name: job.name, queue: job.queueName, backend: this.backend, id: jobId, attempt: context.attempt },
        parseTraceCarrier(job.opts.telemetry?.metadata),
        () => registration.handle(payload.value, context),
      );
      await Promise.race([run, abandoned]);
    } catch (error) {
      if (entry.handedBack) throw new WaitingError();
      if (state.stopping && entry.controller.signal.aborted) {
        // The handler stopped because we are shutting down: not a failed attempt. Back to the
        // queue with attemptsMade unchanged; WaitingError tells BullMQ the job was moved.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw error;
    } finally {
      state.inFlight.delete(jobId);
    }
  }

  private async stop(state: WorkerState): Promise<void> {
    state.stopping = true;
    for (const entry of state.inFlight.values()) entry.controller.abort(new Error('worker shutting down'));
    // close() stops fetching and waits for the running handlers.
    const closing = Promise.allSettled(state.workers.map((w) => w.close()));
    const deadline = Date.now() + this.shutdownTimeoutMs;
    let idleSince: number | undefined;
    let closed = false;
    while (!(closed = await settlesWithin(closing, 50))) {
      const now = Date.now();
      if (state.inFlight.size > 0) idleSince = undefined;
      else idleSince ??= now;
      if (idleSince !== undefined && now - idleSince >= IDLE_CLOSE_GRACE_MS) break;
      if (now >= deadline) {
        await this.handBack(state);
        break;
      }
    }
    if (!closed && !(await settlesWithin(closing, IDLE_CLOSE_GRACE_MS))) {
      // Every handler has returned, yet BullMQ still waits for its blocking client to end. A client
      // left in "reconnecting" by a Redis outage never emits that event (taskforcesh/bullmq#4656),
      // so close() would hang the shutdown for ever: drop the sockets and stop waiting for it.
      this.logger.warn({ workers: state.workers.length }, 'bullmq queue: a worker did not close; disconnecting it');
      await Promise.allSettled(state.workers.map((w) => forceDisconnect(w)));
    }
    await quitOrDisconnect(state.connection);
  }

  /** At the shutdown timeout: the jobs of handlers still running go back to the queue. */
  private async handBack(state: WorkerState): Promise<void> {
    const leftovers = [...state.inFlight.values()];
    this.logger.warn(
      { jobIds: leftovers.map((e) => e.job.id), timeoutMs: this.shutdownTimeoutMs },
      'bullmq queue: handlers still running at the shutdown timeout; their jobs go back to the queue',
    );
    for (const entry of leftovers) {
      entry.handedBack = true;
      try {
        await entry.job.moveToWait(entry.token);
      } catch (error) {
        // Its lock then expires and stalled recovery on another worker returns it.
        this.logger.error({ err: error, jobId: entry.job.id }, 'bullmq queue: handing a job back failed');
      }
      // The processor returns at once; the handler runs on unobserved.
      entry.abandon(new WaitingError());
    }
  }

  /**
   * Age of the oldest job ready to run. BullMQ keeps prioritized jobs ordered by priority, not age,
   * so this looks at the first hundred of each state: exact unless more than a hundred wait.
   * A retried job counts from its last start, which is close enough for alerting.
   */
  private async oldestWaitingMs(queue: Queue<unknown, void, string>): Promise<number> {
    const jobs = await queue.getJobs(['wait', 'prioritized', 'paused'], 0, 99, true);
    const now = Date.now();
    let oldest = now;
    for (const job of jobs) {
      const readySince = Math.max(job.timestamp + (job.opts.delay ?? 0), job.processedOn ?? 0);
      oldest = Math.min(oldest, readySince);
    }
    return Math.max(0, now - oldest);
  }

  /**
   * The BullMQ queue for a name, made on first use. Callers first wait for the producer connection
   * (ensureConnected): a Queue built before that keeps a pending start-up that, were the queue
   * closed in the meantime, would end in an unhandled rejection inside BullMQ.
   */
  private queue(name: QueueName): Queue<unknown, void, string> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<unknown, void, string>(name, { connection: this.producer, prefix: this.prefix });
      // An EventEmitter 'error' without a listener would crash the process.
      queue.on('error', (error: Error) => this.logThrottled(`queue ${name}`, error));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('BullmqQueue is closed');
  }

  /**
   * Fails at once while Redis is down. Only while the very first connection is still being made
   * does it wait (up to `firstConnectWaitMs`), so a call made just after start-up does not fail for
   * no reason; BullMQ itself would wait for that first connection without any limit.
   */
  private async ensureConnected(firstConnectWaitMs: number): Promise<void> {
    if (this.producer.status === 'ready') return;
    const connecting = !this.connectedOnce && !this.firstConnectFailed && this.producer.status !== 'end';
    if (connecting && (await becomesReady(this.producer, firstConnectWaitMs))) return;
    throw new QueueUnavailableError(`Redis is not connected (connection ${this.producer.status})`);
  }

  private logThrottled(source: string, error: unknown): void {
    const now = Date.now();
    if (now - (this.lastErrorLog.get(source) ?? 0) < ERROR_LOG_WINDOW_MS) return;
    this.lastErrorLog.set(source, now);
    this.logger.error({ err: error, source }, `bullmq queue: ${source} error`);
  }
}

/** Whether the connection becomes ready in time; false as soon as an attempt fails or it ends. */
function becomesReady(redis: Redis, withinMs: number, options: { throughErrors?: boolean } = {}): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onFailure);
      redis.off('end', onFailure);
      resolve(ready);
    };
    const onReady = () => done(true);
    const onFailure = () => done(false);
    const timer = setTimeout(() => done(false), withinMs);
    redis.on('ready', onReady);
    // ioredis keeps reconnecting after an error; a caller with time to spare waits for that.
    if (!options.throughErrors) redis.on('error', onFailure);
    redis.on('end', onFailure);
  });
}

/**
 * BullMQ exposes no forced close once a graceful one is under way, so this reaches for the two
 * ioredis clients a Worker owns. disconnect() also cancels any pending reconnect timer, so nothing
 * is left keeping the process alive.
 */
async function forceDisconnect(worker: Worker): Promise<void> {
  // Protected in BullMQ's typings; both fields have existed since BullMQ 2.
  const internals = worker as unknown as Record<'blockingConnection' | 'connection', { client: Promise<Redis> }>;
  for (const connection of [internals.blockingConnection, internals.connection]) {
    const client = await withTimeout(connection.client, 1_000, 'client').catch(() => undefined);
    client?.disconnect();
  }
}

async function quitOrDisconnect(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'wait') {
    // Never connected (lazyConnect): QUIT would connect first just to say goodbye.
    redis.disconnect();
    return;
  }
  try {
    await withTimeout(redis.quit(), 1_000, 'QUIT timed out');
  } catch {
    // Not connected (no offline queue) or no answer: drop the socket and stop reconnecting.
    redis.disconnect();
  }
}
