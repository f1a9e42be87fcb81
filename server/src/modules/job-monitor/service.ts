import { AppError } from '../app-error.js';
import {
  QUEUE_NAMES,
  type JobState,
  type JobSummary,
  type QueueName,
  type QueuePort,
} from '../../platform/queue/port.js';

/** The few queue operations the monitor needs, so it cannot enqueue or run anything. */
export type MonitoredQueue = Pick<QueuePort, 'backend' | 'stats' | 'listJobs' | 'retryJob' | 'removeJob'>;

/** Who did what to which job is worth a line in the log: retries and removals change what runs. */
export interface JobMonitorAuditLog {
  info(details: Record<string, unknown>, message: string): void;
}

export interface QueueOverview {
  queue: QueueName;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  oldestWaitingSeconds: number;
}

export interface JobView {
  id: string;
  queue: QueueName;
  name: string;
  state: JobState;
  attemptsMade: number;
  maxAttempts: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** A stack of a deep failure can be long; the page shows the start, the log keeps the rest. */
const MAX_ERROR_CHARS = 4_000;

/** The admin job monitor: counts per queue and state, jobs a page at a time, Retry and Remove. */
export class JobMonitorService {
  constructor(
    private readonly queue: MonitoredQueue,
    private readonly audit: JobMonitorAuditLog,
  ) {}

  async overview(): Promise<{ backend: MonitoredQueue['backend']; queues: QueueOverview[] }> {
    const queues = await Promise.all(
      QUEUE_NAMES.map(async (queue) => {
        const { oldestWaitingMs, ...counts } = await this.queue.stats(queue);
        return { queue, ...counts, oldestWaitingSeconds: Math.floor(oldestWaitingMs / 1000) };
      }),
    );
    return { backend: this.queue.backend, queues };
  }

  async list(query: { queue: QueueName; state: JobState; page: number; pageSize: number }) {
    const { items, total } = await this.queue.listJobs(query.queue, query.state, query);
    return { items: items.map(toJobView), total, page: query.page, pageSize: query.pageSize };
  }

  async retry(adminId: string, queue: QueueName, id: string): Promise<void> {
    const result = await this.queue.retryJob(queue, id);
    if (result === 'not_found') throw jobNotFound();
    if (result === 'wrong_state') {
      throw new AppError(409, 'job_not_failed', 'Only a failed job can be retried; this one is not failed (any more).');
    }
    this.audit.info({ adminId, queue, jobId: id }, 'admin retried a failed job');
  }

  async remove(adminId: string, queue: QueueName, id: string): Promise<void> {
    const result = await this.queue.removeJob(queue, id);
    if (result === 'not_found') throw jobNotFound();
    if (result === 'wrong_state') {
      throw new AppError(409, 'job_not_finished', 'Only a failed or completed job can be removed.');
    }
    this.audit.info({ adminId, queue, jobId: id }, 'admin removed a job');
  }
}

function jobNotFound(): AppError {
  return new AppError(404, 'job_not_found', 'No such job in this queue (it may have been removed already).');
}

export function toJobView(job: JobSummary): JobView {
  return {
    id: job.id,
    queue: job.queue,
    name: job.name,
    state: job.state,
    attemptsMade: job.attemptsMade,
    maxAttempts: job.maxAttempts,
    error:
      job.error === null || job.error.length <= MAX_ERROR_CHARS ? job.error : `${job.error.slice(0, MAX_ERROR_CHARS)}…`,
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}
