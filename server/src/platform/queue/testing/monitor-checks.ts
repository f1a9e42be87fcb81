import { expect } from 'vitest';
import { z } from 'zod';
import { defineJob, registerJob, type QueuePort } from '../port.js';
import { sleep, waitFor, workOn, type MakeQueue } from './contract-checks.js';

/**
 * The job monitor's part of the queue contract (listJobs, retryJob, removeJob), as plain functions
 * like the other checks, run on every backend by queue.contract.test.ts.
 */

async function withQueue(queue: QueuePort, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    await queue.close().catch(() => undefined);
  }
}

const PAGE = { page: 1, pageSize: 20 };

/** A job that failed every attempt is listed with its name, error, attempts and times; a success apart. */
export async function checkListsFailedAndCompletedJobs(makeQueue: MakeQueue): Promise<void> {
  const doomed = defineJob({
    name: 'contract.monitor-doomed',
    queue: 'default',
    priority: 'medium',
    attempts: 2,
    backoffMs: 50,
    payload: z.object({}),
  });
  const fine = defineJob({
    name: 'contract.monitor-fine',
    queue: 'default',
    priority: 'medium',
    payload: z.object({}),
  });
  const queue = makeQueue();
  await withQueue(queue, async () => {
    const before = Date.now();
    const failedId = await queue.enqueue(doomed, {});
    const completedId = await queue.enqueue(fine, {});
    await queue.startWorkers(
      [
        registerJob(doomed, async (_payload, context) => {
          throw new Error(`disk full on attempt ${context.attempt}`);
        }),
        registerJob(fine, async () => undefined),
      ],
      workOn(['default']),
    );
    await waitFor(async () => {
      const stats = await queue.stats('default');
      return stats.failed === 1 && stats.completed === 1;
    }, 'one job to fail for good and one to complete');

    const failed = await queue.listJobs('default', 'failed', PAGE);
    expect(failed.total).toBe(1);
    const [job] = failed.items;
    expect(job).toMatchObject({
      id: failedId,
      queue: 'default',
      name: 'contract.monitor-doomed',
      state: 'failed',
      attemptsMade: 2,
      maxAttempts: 2,
    });
    expect(job!.error).toContain('disk full on attempt 2');
    // A few ms of slack: the store stamps times with its own clock.
    expect(job!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(job!.finishedAt!.getTime()).toBeGreaterThanOrEqual(job!.createdAt.getTime());
    expect(job!.finishedAt!.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);

    const completed = await queue.listJobs('default', 'completed', PAGE);
    expect(completed.total).toBe(1);
    expect(completed.items[0]).toMatchObject({ id: completedId, state: 'completed', attemptsMade: 1, error: null });
    expect((await queue.listJobs('default', 'waiting', PAGE)).total).toBe(0);
    expect(await queue.listJobs('video', 'failed', PAGE)).toEqual({ total: 0, items: [] });
  });
}

/** Waiting jobs page in the order they will run; delayed ones (and retries backing off) apart. */
export async function checkListsWaitingAndDelayedJobs(makeQueue: MakeQueue): Promise<void> {
  const payload = z.object({});
  const jobs = {
    high: defineJob({ name: 'contract.monitor-high', queue: 'video', priority: 'high', payload }),
    medium: defineJob({ name: 'contract.monitor-medium', queue: 'video', priority: 'medium', payload }),
    low: defineJob({ name: 'contract.monitor-low', queue: 'video', priority: 'low', payload }),
  };
  const flaky = defineJob({
    name: 'contract.monitor-backing-off',
    queue: 'default',
    priority: 'medium',
    attempts: 3,
    backoffMs: 60_000,
    payload,
  });
  const queue = makeQueue();
  await withQueue(queue, async () => {
    const ids: Record<string, string> = {};
    for (const [label, priority] of [
      ['low-1', 'low'],
      ['high-1', 'high'],
      ['medium-1', 'medium'],
      ['high-2', 'high'],
      ['low-2', 'low'],
    ] as const) {
      ids[label] = await queue.enqueue(jobs[priority], {});
    }
    const delayedId = await queue.enqueue(jobs.low, {}, { delayMs: 60_000 });

    const pages = [];
    for (let page = 1; page <= 3; page++) pages.push(await queue.listJobs('video', 'waiting', { page, pageSize: 2 }));
    expect(pages.map((p) => p.total)).toEqual([5, 5, 5]);
    expect(pages.flatMap((p) => p.items.map((job) => job.id))).toEqual(
      ['high-1', 'high-2', 'medium-1', 'low-1', 'low-2'].map((label) => ids[label]),
    );
    expect(pages[0]!.items[0]).toMatchObject({
      name: 'contract.monitor-high',
      state: 'waiting',
      attemptsMade: 0,
      error: null,
      finishedAt: null,
    });
    expect(await queue.listJobs('video', 'waiting', { page: 9, pageSize: 2 })).toEqual({ total: 5, items: [] });
    const delayed = await queue.listJobs('video', 'delayed', PAGE);
    expect(delayed.total).toBe(1);
    expect(delayed.items[0]).toMatchObject({ id: delayedId, state: 'delayed' });

    // A failed attempt waiting out its backoff is delayed, with the error that sent it there.
    await queue.startWorkers(
      [
        registerJob(flaky, async () => {
          throw new Error('mail server busy');
        }),
      ],
      workOn(['default']),
    );
    const flakyId = await queue.enqueue(flaky, {});
    await waitFor(async () => (await queue.stats('default')).delayed === 1, 'the first attempt to fail');
    const backingOff = await queue.listJobs('default', 'delayed', PAGE);
    expect(backingOff.items[0]).toMatchObject({ id: flakyId, state: 'delayed', attemptsMade: 1, maxAttempts: 3 });
    expect(backingOff.items[0]!.error).toContain('mail server busy');
  });
}

/** The monitor's Retry: a job that failed all its attempts runs again with a fresh set and succeeds. */
export async function checkRetryFailedJob(makeQueue: MakeQueue): Promise<void> {
  const job = defineJob({
    name: 'contract.monitor-retried',
    queue: 'default',
    priority: 'medium',
    attempts: 2,
    backoffMs: 50,
    payload: z.object({ lessonId: z.string() }),
  });
  let broken = true;
  const runs: { attempt: number; lessonId: string; broken: boolean }[] = [];
  const registration = registerJob(job, async ({ lessonId }, context) => {
    runs.push({ attempt: context.attempt, lessonId, broken });
    if (broken) throw new Error('storage unreachable');
  });
  const queue = makeQueue();
  await withQueue(queue, async () => {
    const id = await queue.enqueue(job, { lessonId: 'lesson-9' });
    await queue.startWorkers([registration], workOn(['default']));
    await waitFor(async () => (await queue.stats('default')).failed === 1, 'the job to fail for good');
    await queue.stopWorkers();
    expect(runs.map((r) => r.attempt)).toEqual([1, 2]);

    expect(await queue.retryJob('video', id), 'another queue does not have it').toBe('not_found');
    expect(await queue.retryJob('default', '999999999')).toBe('not_found');
    // Two admins clicking at once: the job goes back once.
    const outcomes = await Promise.all([queue.retryJob('default', id), queue.retryJob('default', id)]);
    expect(outcomes.sort()).toEqual(['done', 'wrong_state']);
    const stats = await queue.stats('default');
    expect({ waiting: stats.waiting, failed: stats.failed }).toEqual({ waiting: 1, failed: 0 });
    const [waiting] = (await queue.listJobs('default', 'waiting', PAGE)).items;
    expect(waiting).toMatchObject({ id, state: 'waiting', attemptsMade: 0, error: null, finishedAt: null });

    broken = false;
    await queue.startWorkers([registration], workOn(['default']));
    await waitFor(async () => (await queue.stats('default')).completed === 1, 'the retried job to succeed');
    expect(runs.slice(2)).toEqual([{ attempt: 1, lessonId: 'lesson-9', broken: false }]);
    expect(await queue.retryJob('default', id), 'a completed job is not retried').toBe('wrong_state');
    expect((await queue.stats('default')).failed).toBe(0);
  });
}

/** The monitor's Remove: finished jobs go; unfinished ones and unknown ids are refused. */
export async function checkRemoveJob(makeQueue: MakeQueue): Promise<void> {
  const doomed = defineJob({
    name: 'contract.monitor-removed',
    queue: 'default',
    priority: 'medium',
    attempts: 1,
    payload: z.object({}),
  });
  const idle = defineJob({ name: 'contract.monitor-idle', queue: 'video', priority: 'low', payload: z.object({}) });
  const queue = makeQueue();
  await withQueue(queue, async () => {
    const failedId = await queue.enqueue(doomed, {});
    const waitingId = await queue.enqueue(idle, {});
    await queue.startWorkers(
      [
        registerJob(doomed, async () => {
          throw new Error('bad input');
        }),
      ],
      workOn(['default']),
    );
    await waitFor(async () => (await queue.stats('default')).failed === 1, 'the job to fail');

    expect(await queue.removeJob('video', waitingId), 'a waiting job is not removed').toBe('wrong_state');
    expect(await queue.removeJob('default', failedId)).toBe('done');
    expect(await queue.removeJob('default', failedId)).toBe('not_found');
    expect(await queue.retryJob('default', failedId)).toBe('not_found');
    expect((await queue.stats('default')).failed).toBe(0);
    expect((await queue.listJobs('default', 'failed', PAGE)).total).toBe(0);
    expect((await queue.stats('video')).waiting).toBe(1);
    // Ids that are no job, including names of other keys a store keeps beside its jobs.
    for (const bogus of ['abc', 'meta', 'events', '0', '-1', '1 or 1=1']) {
      expect(await queue.removeJob('default', bogus), bogus).toBe('not_found');
      expect(await queue.retryJob('default', bogus), bogus).toBe('not_found');
    }
    await sleep(50);
    expect((await queue.stats('video')).waiting).toBe(1);
  });
}

export const MONITOR_CHECKS: [string, (makeQueue: MakeQueue) => Promise<void>][] = [
  ['lists failed and completed jobs with name, error, attempts and times', checkListsFailedAndCompletedJobs],
  ['lists waiting jobs in run order a page at a time, and delayed ones apart', checkListsWaitingAndDelayedJobs],
  ['retries a job that failed all its attempts, once, and it then succeeds', checkRetryFailedJob],
  ['removes finished jobs only', checkRemoveJob],
];
