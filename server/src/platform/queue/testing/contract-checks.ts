import { expect } from 'vitest';
import { z } from 'zod';
import {
  defineJob,
  InvalidJobPayloadError,
  registerJob,
  type EnqueueOptions,
  type JobActionResult,
  type JobDeclaration,
  type JobPage,
  type JobPageRequest,
  type JobRegistration,
  type JobState,
  type QueueName,
  type QueuePort,
  type QueueStats,
  type WorkerOptions,
} from '../port.js';
import { DuplicateJobNameError } from '../registry.js';

/**
 * The queue contract as plain functions, each throwing when an adapter breaks it. The contract
 * test runs them on every backend; the same functions run on a deliberately broken adapter prove
 * each check can fail. `makeQueue` returns a new adapter over one shared store (database or Redis
 * prefix) that starts empty for each check: calling it twice stands in for two processes.
 */

export interface QueueOverrides {
  leaseMs?: number;
  shutdownTimeoutMs?: number;
}
export type MakeQueue = (overrides?: QueueOverrides) => QueuePort;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Upper bounds for things that must eventually happen; generous because CI machines are shared and
// a loaded 2-core box can stall a poll loop for seconds. Ordering and "not before" checks are exact.
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export function workOn(queues: QueueName[], concurrency = 1): WorkerOptions {
  return { queues, concurrency: { video: concurrency, default: concurrency } };
}

const EMPTY_STATS: Omit<QueueStats, 'oldestWaitingMs'> = { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 };

async function countsOf(queue: QueuePort, name: QueueName): Promise<Omit<QueueStats, 'oldestWaitingMs'>> {
  const { oldestWaitingMs: _ignored, ...counts } = await queue.stats(name);
  return counts;
}

async function withQueues(queues: QueuePort[], body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    await Promise.allSettled(queues.map((q) => q.close()));
  }
}

// --- the checks ---------------------------------------------------------------------------------

export async function checkRunsJobWithPayload(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({
    name: 'contract.echo',
    queue: 'default',
    priority: 'medium',
    payload: z.object({ lessonId: z.string(), seconds: z.number().int(), tags: z.array(z.string()) }),
  });
  const seen: { payload: unknown; jobId: string; attempt: number }[] = [];
  const queue = makeQueue();
  await withQueues([queue], async () => {
    await queue.startWorkers(
      [
        registerJob(job, async (payload, context) => {
          seen.push({ payload, jobId: context.jobId, attempt: context.attempt });
          await context.reportProgress(50);
        }),
      ],
      workOn(['default']),
    );
    const payload = { lessonId: 'lesson-7', seconds: 90, tags: ['강의', 'intro'] };
    const id = await queue.enqueue(job, payload);
    await waitFor(() => seen.length === 1, 'the job to run');
    expect(seen[0]).toEqual({ payload, jobId: id, attempt: 1 });
    await waitFor(async () => (await queue.stats('default')).completed === 1, 'the job to count as completed');
    expect(await countsOf(queue, 'default')).toEqual({ ...EMPTY_STATS, completed: 1 });
  });
}

export async function checkRejectsInvalidPayload(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({
    name: 'contract.strict',
    queue: 'default',
    priority: 'medium',
    payload: z.object({ lessonId: z.string().min(1) }),
  });
  const queue = makeQueue();
  await withQueues([queue], async () => {
    // A caller that lies to the type system (JSON from elsewhere) is caught at runtime.
    await expect(queue.enqueue(job, { lessonId: 42 } as unknown as { lessonId: string })).rejects.toBeInstanceOf(
      InvalidJobPayloadError,
    );
    await expect(queue.enqueue(job, { lessonId: '' })).rejects.toThrow(/contract\.strict/);
    expect(await countsOf(queue, 'default')).toEqual(EMPTY_STATS);
  });
}

/** A payload valid when enqueued but not for the code that runs it (a deploy changed the schema) fails at once. */
export async function checkStalePayloadFailsWithoutRetry(makeQueue: MakeQueue): Promise<void> {
  const before = defineJob({
    name: 'contract.versioned',
    queue: 'default',
    priority: 'medium',
    attempts: 3,
    backoffMs: 50,
    payload: z.object({ lessonId: z.string() }),
  });
  const after = defineJob({ ...before, payload: z.object({ lessonId: z.string(), locale: z.string() }) });
  let calls = 0;
  const queue = makeQueue();
  await withQueues([queue], async () => {
    await queue.enqueue(before, { lessonId: 'l-1' });
    await queue.startWorkers(
      [
        registerJob(after, async () => {
          calls++;
        }),
      ],
      workOn(['default']),
    );
    await waitFor(async () => (await queue.stats('default')).failed === 1, 'the stale job to fail');
    await sleep(400);
    expect(calls).toBe(0);
    expect(await countsOf(queue, 'default')).toEqual({ ...EMPTY_STATS, failed: 1 });
  });
}

/** Enqueues with no worker running, then one worker at concurrency 1 must take high, medium, low. */
export async function checkPriorityOrder(makeQueue: MakeQueue): Promise<void> {
  const payload = z.object({ label: z.string() });
  const jobs = {
    high: defineJob({ name: 'contract.transcode', queue: 'video', priority: 'high', payload }),
    medium: defineJob({ name: 'contract.email', queue: 'video', priority: 'medium', payload }),
    low: defineJob({ name: 'contract.statistics', queue: 'video', priority: 'low', payload }),
  };
  const order: string[] = [];
  const queue = makeQueue();
  await withQueues([queue], async () => {
    const enqueueOrder: (keyof typeof jobs)[] = [
      'low',
      'medium',
      'high',
      'low',
      'medium',
      'high',
      'low',
      'medium',
      'high',
    ];
    const counters = { high: 0, medium: 0, low: 0 };
    for (const priority of enqueueOrder) {
      counters[priority]++;
      await queue.enqueue(jobs[priority], { label: `${priority}-${counters[priority]}` });
    }
    const record = async ({ label }: { label: string }) => {
      order.push(label);
    };
    await queue.startWorkers(
      Object.values(jobs).map((job) => registerJob(job, record)),
      workOn(['video'], 1),
    );
    await waitFor(() => order.length === 9, 'all nine jobs to run');
    // Higher priority first; within one priority, first in first out.
    expect(order, 'jobs ran out of priority order').toEqual([
      'high-1',
      'high-2',
      'high-3',
      'medium-1',
      'medium-2',
      'medium-3',
      'low-1',
      'low-2',
      'low-3',
    ]);
  });
}

export async function checkDelayedJob(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({
    name: 'contract.reminder',
    queue: 'default',
    priority: 'medium',
    payload: z.object({ n: z.number() }),
  });
  const ranAt = new Map<number, number>();
  const queue = makeQueue();
  await withQueues([queue], async () => {
    await queue.startWorkers(
      [
        registerJob(job, async ({ n }) => {
          ranAt.set(n, Date.now());
        }),
      ],
      workOn(['default']),
    );
    const delayMs = 1_200;
    const enqueuedAt = Date.now();
    await queue.enqueue(job, { n: 1 }, { delayMs });
    await queue.enqueue(job, { n: 2 });
    await waitFor(() => ranAt.has(2), 'the undelayed job to run');
    const midway = await queue.stats('default');
    if (!ranAt.has(1)) expect(midway.delayed).toBe(1);
    await waitFor(() => ranAt.has(1), 'the delayed job to run', delayMs + 15_000);
    // A few ms of slack: Redis and the database stamp times with their own millisecond clocks.
    expect(ranAt.get(1)! - enqueuedAt).toBeGreaterThanOrEqual(delayMs - 5);
  });
}

export async function checkRetriesWithBackoff(makeQueue: MakeQueue): Promise<void> {
  const backoffMs = 250;
  const job = defineJob({
    name: 'contract.flaky',
    queue: 'default',
    priority: 'medium',
    attempts: 3,
    backoffMs,
    payload: z.object({}),
  });
  const runs: { attempt: number; at: number }[] = [];
  const queue = makeQueue();
  await withQueues([queue], async () => {
    await queue.startWorkers(
      [
        registerJob(job, async (_payload, context) => {
          runs.push({ attempt: context.attempt, at: Date.now() });
          if (context.attempt < 3) throw new Error(`flaky failure on attempt ${context.attempt}`);
        }),
      ],
      workOn(['default']),
    );
    await queue.enqueue(job, {});
    await waitFor(async () => (await queue.stats('default')).completed === 1, 'the job to succeed on its third try');
    expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
    // Exponential: the first retry waits backoffMs, the second twice that.
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(backoffMs - 10);
    expect(runs[2]!.at - runs[1]!.at).toBeGreaterThanOrEqual(2 * backoffMs - 10);
    expect(await countsOf(queue, 'default')).toEqual({ ...EMPTY_STATS, completed: 1 });
  });
}

export async function checkFailsAfterLastAttempt(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({
    name: 'contract.doomed',
    queue: 'default',
    priority: 'medium',
    attempts: 3,
    backoffMs: 50,
    payload: z.object({}),
  });
  let calls = 0;
  const queue = makeQueue();
  await withQueues([queue], async () => {
    await queue.startWorkers(
      [
        registerJob(job, async () => {
          calls++;
          throw new Error('always broken');
        }),
      ],
      workOn(['default']),
    );
    await queue.enqueue(job, {});
    await waitFor(async () => (await queue.stats('default')).failed === 1, 'the job to fail for good');
    await sleep(400);
    expect(calls).toBe(3);
    expect(await countsOf(queue, 'default')).toEqual({ ...EMPTY_STATS, failed: 1 });
  });
}

export async function checkDedupeKey(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({
    name: 'contract.publish',
    queue: 'default',
    priority: 'medium',
    payload: z.object({ v: z.number() }),
  });
  const ran: number[] = [];
  const queue = makeQueue();
  await withQueues([queue], async () => {
    // Colons and digits on purpose: BullMQ ids may contain neither freely.
    const first = await queue.enqueue(job, { v: 1 }, { dedupeKey: 'lesson:42:published' });
    const again = await queue.enqueue(job, { v: 2 }, { dedupeKey: 'lesson:42:published' });
    const other = await queue.enqueue(job, { v: 3 }, { dedupeKey: '42' });
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect((await queue.stats('default')).waiting).toBe(2);
    await queue.startWorkers(
      [
        registerJob(job, async ({ v }) => {
          ran.push(v);
        }),
      ],
      workOn(['default']),
    );
    await waitFor(() => ran.length === 2, 'both distinct jobs to run');
    // While the completed job is kept, its key still makes one job.
    await waitFor(async () => (await queue.stats('default')).completed === 2, 'both jobs to complete');
    expect(await queue.enqueue(job, { v: 4 }, { dedupeKey: 'lesson:42:published' })).toBe(first);
    await sleep(300);
    expect(ran.sort()).toEqual([1, 3]);
  });
}

/** Two instances keep the same every-second schedule: each tick runs once, not once per instance. */
export async function checkRepeatableJob(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({
    name: 'contract.heartbeat',
    queue: 'default',
    priority: 'low',
    payload: z.object({ source: z.string() }),
    repeat: { cron: '* * * * * *', payload: { source: 'cron' } },
  });
  const runs: { source: string; at: number }[] = [];
  const registration = registerJob(job, async ({ source }) => {
    runs.push({ source, at: Date.now() });
  });
  const instances = [makeQueue(), makeQueue()];
  await withQueues(instances, async () => {
    const startedAt = Date.now();
    // Started together so their schedulers look for due ticks at the same moments, as two
    // processes started by one deploy would: the race a tick must survive.
    await Promise.all(instances.map((instance) => instance.startWorkers([registration], workOn(['default'], 2))));
    await sleep(3_300);
    await Promise.all(instances.map((i) => i.stopWorkers()));
    const stoppedAt = Date.now();
    // Ticks are whole seconds; every tick in (startedAt, stoppedAt] may run, none twice.
    const ticks = Math.floor(stoppedAt / 1000) - Math.floor(startedAt / 1000);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeLessThanOrEqual(ticks);
    expect(runs.every((r) => r.source === 'cron')).toBe(true);
  });
}

export async function checkStatsCounts(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({ name: 'contract.counted', queue: 'video', priority: 'medium', payload: z.object({}) });
  const queue = makeQueue();
  await withQueues([queue], async () => {
    await queue.enqueue(job, {});
    await queue.enqueue(job, {});
    await queue.enqueue(job, {}, { delayMs: 60_000 });
    await sleep(120);
    const stats = await queue.stats('video');
    expect({ ...stats, oldestWaitingMs: undefined }).toEqual({
      ...EMPTY_STATS,
      waiting: 2,
      delayed: 1,
      oldestWaitingMs: undefined,
    });
    expect(stats.oldestWaitingMs).toBeGreaterThanOrEqual(100);
    expect(stats.oldestWaitingMs).toBeLessThan(30_000);
    expect(await queue.stats('default')).toEqual({ ...EMPTY_STATS, oldestWaitingMs: 0 });
  });
}

export async function checkStopWaitsForInFlightJob(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({ name: 'contract.slow', queue: 'default', priority: 'medium', payload: z.object({}) });
  let started = false;
  let finished = false;
  let sawAbort = false;
  const queue = makeQueue({ shutdownTimeoutMs: 5_000 });
  await withQueues([queue], async () => {
    await queue.startWorkers(
      [
        registerJob(job, async (_payload, context) => {
          started = true;
          // A short job that ignores the signal and simply finishes.
          await sleep(700);
          sawAbort = context.signal.aborted;
          finished = true;
        }),
      ],
      workOn(['default']),
    );
    await queue.enqueue(job, {});
    await waitFor(() => started, 'the job to start');
    await queue.stopWorkers();
    expect(finished).toBe(true);
    expect(sawAbort).toBe(true);
    expect(await countsOf(queue, 'default')).toEqual({ ...EMPTY_STATS, completed: 1 });
    // Stopped means stopped: a new job is left for another worker.
    await queue.enqueue(job, {});
    await sleep(500);
    expect((await queue.stats('default')).waiting).toBe(1);
  });
}

/** A handler still running at the shutdown timeout: its job goes back, attempt not counted. */
export async function checkStopHandsBackUnfinishedJob(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({ name: 'contract.stuck', queue: 'default', priority: 'medium', payload: z.object({}) });
  const attempts: number[] = [];
  let started = false;
  const first = makeQueue({ shutdownTimeoutMs: 300 });
  const second = makeQueue();
  await withQueues([first, second], async () => {
    await first.startWorkers(
      [
        registerJob(job, async () => {
          started = true;
          await new Promise(() => undefined); // ignores the abort signal and never ends
        }),
      ],
      workOn(['default']),
    );
    const id = await first.enqueue(job, {});
    await waitFor(() => started, 'the job to start');
    const stopping = Date.now();
    await first.stopWorkers();
    expect(Date.now() - stopping).toBeLessThan(3_000);
    expect(await countsOf(first, 'default')).toEqual({ ...EMPTY_STATS, waiting: 1 });
    await second.startWorkers(
      [
        registerJob(job, async (_payload, context) => {
          attempts.push(context.attempt);
          expect(context.jobId).toBe(id);
        }),
      ],
      workOn(['default']),
    );
    await waitFor(async () => (await second.stats('default')).completed === 1, 'another worker to finish the job');
    expect(attempts).toEqual([1]);
  });
}

/** A handler that stops when told to (JobContext.signal) at shutdown: its job goes back, attempt not counted. */
export async function checkAbortedHandlerReturnsJob(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({
    name: 'contract.cancellable',
    queue: 'video',
    priority: 'high',
    attempts: 1,
    payload: z.object({}),
  });
  const attempts: number[] = [];
  let started = false;
  const first = makeQueue({ shutdownTimeoutMs: 5_000 });
  const second = makeQueue();
  await withQueues([first, second], async () => {
    await first.startWorkers(
      [
        registerJob(job, async (_payload, context) => {
          started = true;
          await new Promise((_resolve, reject) => {
            context.signal.addEventListener('abort', () => reject(new Error('transcode cancelled')), { once: true });
          });
        }),
      ],
      workOn(['video']),
    );
    await first.enqueue(job, {});
    await waitFor(() => started, 'the job to start');
    await first.stopWorkers();
    // With attempts: 1, counting the interrupted run would have failed the job for good.
    expect(await countsOf(first, 'video')).toEqual({ ...EMPTY_STATS, waiting: 1 });
    await second.startWorkers(
      [
        registerJob(job, async (_payload, context) => {
          attempts.push(context.attempt);
        }),
      ],
      workOn(['video']),
    );
    await waitFor(async () => (await second.stats('video')).completed === 1, 'another worker to finish the job');
    expect(attempts).toEqual([1]);
  });
}

export async function checkSeparateQueues(makeQueue: MakeQueue): Promise<void> {
  const videoJob = defineJob({
    name: 'contract.transcode-only',
    queue: 'video',
    priority: 'high',
    payload: z.object({}),
  });
  const defaultJob = defineJob({ name: 'contract.general', queue: 'default', priority: 'high', payload: z.object({}) });
  const ran: string[] = [];
  const queue = makeQueue();
  await withQueues([queue], async () => {
    await queue.enqueue(defaultJob, {});
    await queue.enqueue(videoJob, {});
    await queue.startWorkers(
      [
        registerJob(videoJob, async () => void ran.push('video')),
        registerJob(defaultJob, async () => void ran.push('default')),
      ],
      workOn(['video']),
    );
    await waitFor(() => ran.includes('video'), 'the video job to run');
    await sleep(500);
    expect(ran).toEqual(['video']);
    expect((await queue.stats('default')).waiting).toBe(1);
  });
}

/** Two instances share the work: every job runs exactly once. */
export async function checkNoDoubleRuns(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({
    name: 'contract.shared',
    queue: 'default',
    priority: 'medium',
    payload: z.object({ n: z.number() }),
  });
  const runs = new Map<number, number>();
  const registration = registerJob(job, async ({ n }) => {
    runs.set(n, (runs.get(n) ?? 0) + 1);
    await sleep(10);
  });
  const instances = [makeQueue(), makeQueue()];
  await withQueues(instances, async () => {
    const total = 24;
    for (let n = 0; n < total; n++) await instances[0]!.enqueue(job, { n });
    await Promise.all(instances.map((i) => i.startWorkers([registration], workOn(['default'], 3))));
    await waitFor(async () => (await instances[0]!.stats('default')).completed === total, 'every job to complete');
    expect(runs.size).toBe(total);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
  });
}

export async function checkRejectsDuplicateRegistrations(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({ name: 'contract.twice', queue: 'default', priority: 'medium', payload: z.object({}) });
  const queue = makeQueue();
  await withQueues([queue], async () => {
    const handler = async () => undefined;
    await expect(
      queue.startWorkers([registerJob(job, handler), registerJob(job, handler)], workOn(['default'])),
    ).rejects.toBeInstanceOf(DuplicateJobNameError);
  });
}

// --- a deliberately broken adapter --------------------------------------------------------------

/** Delegates everything but flattens priorities: what an adapter that forgot them would do. */
export class PriorityIgnoringQueue implements QueuePort {
  constructor(private readonly inner: QueuePort) {}
  get backend() {
    return this.inner.backend;
  }
  enqueue<P>(job: JobDeclaration<P>, payload: P, options?: EnqueueOptions): Promise<string> {
    return this.inner.enqueue({ ...job, priority: 'medium' }, payload, options);
  }
  startWorkers(registrations: readonly JobRegistration[], options: WorkerOptions): Promise<void> {
    return this.inner.startWorkers(registrations, options);
  }
  stopWorkers(): Promise<void> {
    return this.inner.stopWorkers();
  }
  stats(queue: QueueName): Promise<QueueStats> {
    return this.inner.stats(queue);
  }
  listJobs(queue: QueueName, state: JobState, page: JobPageRequest): Promise<JobPage> {
    return this.inner.listJobs(queue, state, page);
  }
  retryJob(queue: QueueName, id: string): Promise<JobActionResult> {
    return this.inner.retryJob(queue, id);
  }
  removeJob(queue: QueueName, id: string): Promise<JobActionResult> {
    return this.inner.removeJob(queue, id);
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export const CONTRACT_CHECKS: [string, (makeQueue: MakeQueue) => Promise<void>][] = [
  ['runs a job with its payload', checkRunsJobWithPayload],
  ['rejects an invalid payload at enqueue', checkRejectsInvalidPayload],
  ['fails a job whose stored payload no longer fits, without retrying', checkStalePayloadFailsWithoutRetry],
  ['runs high before medium before low priority', checkPriorityOrder],
  ['does not run a delayed job before its delay', checkDelayedJob],
  ['retries a failing job with exponential backoff until it succeeds', checkRetriesWithBackoff],
  ['marks a job failed after its last attempt', checkFailsAfterLastAttempt],
  ['makes one job per dedupe key', checkDedupeKey],
  ['runs a repeatable job once per tick across instances', checkRepeatableJob],
  ['counts waiting and delayed jobs', checkStatsCounts],
  ['stopWorkers waits for an in-flight job', checkStopWaitsForInFlightJob],
  ['stopWorkers hands back a job still running at the timeout', checkStopHandsBackUnfinishedJob],
  ['a handler that stops on the abort signal at shutdown returns its job', checkAbortedHandlerReturnsJob],
  ['a worker for one queue leaves the other queue alone', checkSeparateQueues],
  ['two instances never run the same job twice', checkNoDoubleRuns],
  ['startWorkers rejects two handlers for one job', checkRejectsDuplicateRegistrations],
];
