import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/port.js';
import { rowsOf } from '../db/rows.js';
import type { JobActionResult, JobPage, JobPageRequest, JobState, QueueName } from './port.js';

/** queue_jobs ids are bigserial: anything else cannot name a row (and would fail the ::bigint cast). */
const ROW_ID = /^[1-9][0-9]{0,17}$/;

/** A waiting row whose run_at is still ahead is delayed (a delayed enqueue, or a retry backing off). */
const STATE_FILTER: Record<JobState, SQL> = {
  waiting: sql`status = 'waiting' and run_at <= now()`,
  delayed: sql`status = 'waiting' and run_at > now()`,
  active: sql`status = 'active'`,
  failed: sql`status = 'failed'`,
  completed: sql`status = 'completed'`,
};

/** The order the port promises: as they will run, or newest outcome first. */
const STATE_ORDER: Record<JobState, SQL> = {
  waiting: sql`priority, run_at, id`,
  delayed: sql`run_at, id`,
  // No claim time is kept; ids grow with age, which is what "oldest first" needs.
  active: sql`id`,
  failed: sql`finished_at desc, id desc`,
  completed: sql`finished_at desc, id desc`,
};

interface JobRow {
  id: string;
  name: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  created_ms: number;
  finished_ms: number | null;
}

/**
 * The job monitor's reads and admin actions over the embedded queue's table. Apart from the
 * queue's run loop on purpose: nothing here claims or runs jobs, it only looks and resets rows.
 */
export class EmbeddedJobMonitor {
  constructor(private readonly db: Db) {}

  async listJobs(queue: QueueName, state: JobState, page: JobPageRequest): Promise<JobPage> {
    const { limit, offset } = pageWindow(page);
    const [counted] = await this.query<{ total: number }>(
      sql`select count(*)::int as total from queue_jobs where queue = ${queue} and ${STATE_FILTER[state]}`,
    );
    const rows = await this.query<JobRow>(sql`
      select id::text as id, name, attempts, max_attempts, last_error,
             (extract(epoch from created_at) * 1000)::float8 as created_ms,
             (extract(epoch from finished_at) * 1000)::float8 as finished_ms
      from queue_jobs
      where queue = ${queue} and ${STATE_FILTER[state]}
      order by ${STATE_ORDER[state]}
      limit ${limit}::int offset ${offset}::int`);
    return {
      total: counted?.total ?? 0,
      items: rows.map((row) => ({
        id: row.id,
        queue,
        name: row.name,
        state,
        // `attempts` counts the running attempt from its claim; the port counts attempts that ended.
        attemptsMade: state === 'active' ? Math.max(0, row.attempts - 1) : row.attempts,
        maxAttempts: row.max_attempts,
        error: row.last_error,
        createdAt: new Date(Math.round(row.created_ms)),
        finishedAt: row.finished_ms === null ? null : new Date(Math.round(row.finished_ms)),
      })),
    };
  }

  /** One guarded UPDATE, so two admins clicking Retry at once send the job back once. */
  async retryJob(queue: QueueName, id: string): Promise<JobActionResult> {
    if (!ROW_ID.test(id)) return 'not_found';
    const retried = await this.query<{ id: string }>(sql`
      update queue_jobs
      set status = 'waiting', attempts = 0, run_at = now(), finished_at = null, last_error = null,
          locked_by = null, locked_until = null
      where id = ${id}::bigint and queue = ${queue} and status = 'failed'
      returning id::text as id`);
    if (retried.length) return 'done';
    return (await this.exists(queue, id)) ? 'wrong_state' : 'not_found';
  }

  async removeJob(queue: QueueName, id: string): Promise<JobActionResult> {
    if (!ROW_ID.test(id)) return 'not_found';
    const removed = await this.query<{ id: string }>(sql`
      delete from queue_jobs
      where id = ${id}::bigint and queue = ${queue} and status in ('failed', 'completed')
      returning id::text as id`);
    if (removed.length) return 'done';
    return (await this.exists(queue, id)) ? 'wrong_state' : 'not_found';
  }

  private async exists(queue: QueueName, id: string): Promise<boolean> {
    const rows = await this.query<{ id: string }>(
      sql`select id::text as id from queue_jobs where id = ${id}::bigint and queue = ${queue}`,
    );
    return rows.length > 0;
  }

  private async query<T>(query: SQL): Promise<T[]> {
    return rowsOf<T>(await this.db.execute(query));
  }
}

/** Page numbers and sizes as the port takes them, clamped so a bad caller cannot ask for everything. */
export function pageWindow(page: JobPageRequest): { limit: number; offset: number } {
  const pageSize = Math.min(100, Math.max(1, Math.floor(page.pageSize)));
  const pageNumber = Math.max(1, Math.floor(page.page));
  return { limit: pageSize, offset: (pageNumber - 1) * pageSize };
}
