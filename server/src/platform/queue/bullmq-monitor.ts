import type { Job, JobType, Queue } from 'bullmq';
import { pageWindow } from './embedded-monitor.js';
import type { JobActionResult, JobPage, JobPageRequest, JobState, JobSummary, QueueName } from './port.js';

type BullQueue = Queue<unknown, void, string>;
type BullJob = Job<unknown, void, string>;

/**
 * Where BullMQ keeps each state, in the order a worker takes them: plain `wait` before
 * `prioritized` (a retried job goes back to `wait`); `paused` only while a queue is paused.
 */
const BULL_TYPES: Record<JobState, { types: JobType[]; ascending: boolean }> = {
  waiting: { types: ['wait', 'prioritized', 'paused'], ascending: true },
  delayed: { types: ['delayed'], ascending: true },
  active: { types: ['active'], ascending: true },
  failed: { types: ['failed'], ascending: false },
  completed: { types: ['completed'], ascending: false },
};

/**
 * A page across BullMQ's lists. Its getJobs() applies start/end to each type separately, so a
 * page spanning two types is cut here from their counts instead.
 */
export async function listBullJobs(
  bull: BullQueue,
  queue: QueueName,
  state: JobState,
  page: JobPageRequest,
): Promise<JobPage> {
  const { types, ascending } = BULL_TYPES[state];
  const { limit, offset } = pageWindow(page);
  const counts = await bull.getJobCounts(...types);
  const total = types.reduce((sum, type) => sum + (counts[type] ?? 0), 0);
  const jobs: BullJob[] = [];
  let skip = offset;
  for (const type of types) {
    const wanted = limit - jobs.length;
    if (wanted <= 0) break;
    const inType = counts[type] ?? 0;
    if (skip >= inType) {
      skip -= inType;
      continue;
    }
    const found = await bull.getJobs([type], skip, Math.min(inType, skip + wanted) - 1, ascending);
    // A job removed between the count and the read comes back empty.
    jobs.push(...found.filter((job): job is BullJob => Boolean(job?.id)).slice(0, wanted));
    skip = 0;
  }
  return { total, items: jobs.map((job) => summaryOf(job, queue, state)) };
}

/** BullMQ's retry is one script that takes the job out of the failed set, so a double click retries once. */
export async function retryBullJob(bull: BullQueue, id: string): Promise<JobActionResult> {
  const job = await findJob(bull, id);
  if (!job) return 'not_found';
  try {
    // A fresh set of attempts, as the embedded queue gives: the cause was presumably fixed.
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    return 'done';
  } catch (error) {
    const state = await job.getState();
    if (state === 'unknown') return 'not_found';
    if (state !== 'failed') return 'wrong_state';
    throw error;
  }
}

export async function removeBullJob(bull: BullQueue, id: string): Promise<JobActionResult> {
  const job = await findJob(bull, id);
  if (!job) return 'not_found';
  const state = await job.getState();
  if (state === 'unknown') return 'not_found';
  if (state !== 'failed' && state !== 'completed') return 'wrong_state';
  // 0 when the job is locked: it was retried and taken by a worker since getState().
  return (await bull.remove(id)) === 1 ? 'done' : 'wrong_state';
}

/**
 * A job id is a key suffix in BullMQ, so an id such as `meta` or `events` would name another key
 * of the queue (getJob would read it, remove would delete it). Looking the id up in the state sets
 * first means only a real job's id ever reaches getJob.
 */
async function findJob(bull: BullQueue, id: string): Promise<BullJob | undefined> {
  if ((await bull.getJobState(id)) === 'unknown') return undefined;
  return bull.getJob(id);
}

function summaryOf(job: BullJob, queue: QueueName, state: JobState): JobSummary {
  const finished = state === 'failed' || state === 'completed';
  return {
    id: job.id ?? '',
    queue,
    name: job.name,
    state,
    attemptsMade: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    // failedReason is cleared by a retry, the stack list is not: only show a stack with a reason.
    error: job.failedReason ? (job.stacktrace?.at(-1) ?? job.failedReason) : null,
    createdAt: new Date(job.timestamp),
    finishedAt: finished && job.finishedOn ? new Date(job.finishedOn) : null,
  };
}
