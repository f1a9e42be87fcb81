import { describe, expect, it } from 'vitest';
import { AppError } from '../app-error.js';
import type { JobActionResult, JobSummary } from '../../platform/queue/port.js';
import { JobMonitorService, toJobView, type MonitoredQueue } from './service.js';

const failedJob: JobSummary = {
  id: '7',
  queue: 'video',
  name: 'videos.transcode',
  state: 'failed',
  attemptsMade: 3,
  maxAttempts: 3,
  error: 'Error: ffmpeg exited with code 1\n    at transcode (pipeline.ts:1:1)',
  createdAt: new Date('2026-01-02T03:04:05.000Z'),
  finishedAt: new Date('2026-01-02T03:09:05.000Z'),
};

function fakeQueue(result: JobActionResult): MonitoredQueue & { calls: string[] } {
  const calls: string[] = [];
  return {
    backend: 'embedded',
    calls,
    stats: async (queue) => ({
      waiting: queue === 'video' ? 2 : 0,
      active: 0,
      delayed: 0,
      failed: 1,
      completed: 5,
      oldestWaitingMs: 61_900,
    }),
    listJobs: async () => ({ items: [failedJob], total: 1 }),
    retryJob: async (queue, id) => {
      calls.push(`retry ${queue} ${id}`);
      return result;
    },
    removeJob: async (queue, id) => {
      calls.push(`remove ${queue} ${id}`);
      return result;
    },
  };
}

const audit = () => {
  const lines: { details: Record<string, unknown>; message: string }[] = [];
  return { lines, info: (details: Record<string, unknown>, message: string) => void lines.push({ details, message }) };
};

describe('JobMonitorService', () => {
  it('counts every queue and gives the oldest wait in whole seconds', async () => {
    const service = new JobMonitorService(fakeQueue('done'), audit());
    const { backend, queues } = await service.overview();
    expect(backend).toBe('embedded');
    expect(queues.map((q) => q.queue)).toEqual(['video', 'default']);
    expect(queues[0]).toEqual({
      queue: 'video',
      waiting: 2,
      active: 0,
      delayed: 0,
      failed: 1,
      completed: 5,
      oldestWaitingSeconds: 61,
    });
  });

  it('lists jobs with ISO times and the paging it was asked for', async () => {
    const service = new JobMonitorService(fakeQueue('done'), audit());
    const page = await service.list({ queue: 'video', state: 'failed', page: 2, pageSize: 10 });
    expect(page).toMatchObject({ total: 1, page: 2, pageSize: 10 });
    expect(page.items[0]).toMatchObject({
      createdAt: '2026-01-02T03:04:05.000Z',
      finishedAt: '2026-01-02T03:09:05.000Z',
    });
  });

  it('logs who retried or removed which job', async () => {
    const log = audit();
    const queue = fakeQueue('done');
    const service = new JobMonitorService(queue, log);
    await service.retry('admin-1', 'video', '7');
    await service.remove('admin-1', 'default', '8');
    expect(queue.calls).toEqual(['retry video 7', 'remove default 8']);
    expect(log.lines.map((l) => l.details)).toEqual([
      { adminId: 'admin-1', queue: 'video', jobId: '7' },
      { adminId: 'admin-1', queue: 'default', jobId: '8' },
    ]);
  });

  it.each([
    ['not_found', 404, 'job_not_found', 'job_not_found'],
    ['wrong_state', 409, 'job_not_failed', 'job_not_finished'],
  ] as const)('answers %s with %i', async (result, status, retryCode, removeCode) => {
    const log = audit();
    const service = new JobMonitorService(fakeQueue(result), log);
    await expect(service.retry('a', 'video', '7')).rejects.toMatchObject({ statusCode: status, code: retryCode });
    await expect(service.remove('a', 'video', '7')).rejects.toBeInstanceOf(AppError);
    await expect(service.remove('a', 'video', '7')).rejects.toMatchObject({ statusCode: status, code: removeCode });
    expect(log.lines).toEqual([]);
  });

  it('shortens a very long error for the page', () => {
    const view = toJobView({ ...failedJob, error: 'x'.repeat(10_000) });
    expect(view.error!.length).toBeLessThanOrEqual(4_001);
    expect(view.error!.endsWith('…')).toBe(true);
    expect(toJobView({ ...failedJob, error: null }).error).toBeNull();
  });
});
