import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../cache/memory.js';
import { MeasuredCache } from '../cache/measured.js';
import { defineJob, registerJob } from '../queue/port.js';
import { z } from 'zod';
import { measureJobs } from './job-metrics.js';
import { Metrics, type QueueSnapshot } from './metrics.js';

/** The value of one sample line, e.g. sample(text, 'lectio_queue_jobs{queue="video",state="waiting"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const context = { jobId: '1', attempt: 1, signal: new AbortController().signal, reportProgress: async () => {} };

describe('Metrics', () => {
  it('records requests by route pattern, with latency buckets that put 1 s on an edge', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.observeHttpRequest({ method: 'GET', route: '/api/v1/courses/:slug', statusCode: 200, seconds: 0.3 });
    metrics.observeHttpRequest({ method: 'GET', route: '/api/v1/courses/:slug', statusCode: 500, seconds: 1.5 });
    const text = await metrics.render();
    const labels = 'method="GET",route="/api/v1/courses/:slug",status_code="200"';
    expect(sample(text, `lectio_http_requests_total{${labels}}`)).toBe(1);
    expect(sample(text, `lectio_http_request_duration_seconds_bucket{le="1",${labels}}`)).toBe(1);
    expect(sample(text, `lectio_http_request_duration_seconds_bucket{le="0.25",${labels}}`)).toBe(0);
  });

  it('times jobs by outcome and counts failures, starting every declared job at zero', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const job = defineJob({
      name: 'test.flaky',
      queue: 'default',
      priority: 'low',
      payload: z.object({ fail: z.boolean() }),
    });
    metrics.declareJobs(['test.flaky', 'test.idle']);
    const [measured] = measureJobs(
      [
        registerJob(job, async ({ fail }) => {
          if (fail) throw new Error('boom');
        }),
      ],
      metrics,
    );
    await measured!.handle({ fail: false }, context);
    await expect(measured!.handle({ fail: true }, context)).rejects.toThrow('boom');
    const text = await metrics.render();
    expect(sample(text, 'lectio_job_duration_seconds_count{job="test.flaky",outcome="completed"}')).toBe(1);
    expect(sample(text, 'lectio_job_duration_seconds_count{job="test.flaky",outcome="failed"}')).toBe(1);
    expect(sample(text, 'lectio_job_failures_total{job="test.flaky"}')).toBe(1);
    expect(sample(text, 'lectio_job_failures_total{job="test.idle"}')).toBe(0);
    expect(sample(text, 'lectio_job_duration_seconds_count{job="test.idle",outcome="completed"}')).toBe(0);
  });

  it('counts failed cache calls by operation, and passes the error on', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.declareCacheOperations(['get', 'set']);
    const broken = new MemoryCache();
    broken.get = () => Promise.reject(new Error('redis down'));
    const cache = new MeasuredCache(broken, metrics);
    await expect(cache.get('k')).rejects.toThrow('redis down');
    await cache.set('k', 1, 10);
    const text = await metrics.render();
    expect(sample(text, 'lectio_cache_errors_total{operation="get"}')).toBe(1);
    expect(sample(text, 'lectio_cache_errors_total{operation="set"}')).toBe(0);
  });

  it('reads queue state once per scrape for both queue gauges', async () => {
    const metrics = new Metrics({ processMetrics: false });
    let reads = 0;
    let waiting = 0;
    metrics.watch({
      queues: async (): Promise<QueueSnapshot[]> => {
        reads++;
        waiting++;
        return [{ queue: 'video', counts: { waiting, active: 0, delayed: 0, failed: 2 }, oldestWaitingSeconds: 61.5 }];
      },
    });
    const text = await metrics.render();
    expect(reads).toBe(1);
    expect(sample(text, 'lectio_queue_jobs{queue="video",state="waiting"}')).toBe(1);
    expect(sample(text, 'lectio_queue_jobs{queue="video",state="failed"}')).toBe(2);
    expect(sample(text, 'lectio_queue_oldest_waiting_seconds{queue="video"}')).toBe(61.5);
  });

  it('keeps the scrape alive when a source fails, and counts the failure', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.watch({
      queues: () => Promise.reject(new Error('redis down')),
      activeViewers: async () => 7,
    });
    const text = await metrics.render();
    expect(text).not.toMatch(/^lectio_queue_jobs\{/m);
    // Gauges collect concurrently, so a failure shows in the error count from the next scrape on.
    expect(sample(await metrics.render(), 'lectio_metrics_source_errors_total{source="queue"}')).toBe(1);
    expect(sample(text, 'lectio_active_viewers')).toBe(7);
  });

  it('asks for the sessions open now', async () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const metrics = new Metrics({ processMetrics: false, now: () => now });
    let asked: Date | undefined;
    metrics.watch({
      activeViewers: async (at) => {
        asked = at;
        return 3;
      },
    });
    expect(sample(await metrics.render(), 'lectio_active_viewers')).toBe(3);
    expect(asked?.toISOString()).toBe('2026-01-01T12:00:00.000Z');
  });

  it('reports each backup kind, 0 for a kind never backed up', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.watch({ backups: async () => [{ kind: 'daily', at: new Date('2026-01-01T03:00:00Z') }] });
    const text = await metrics.render();
    expect(sample(text, 'lectio_backup_last_success_timestamp_seconds{kind="daily"}')).toBe(
      Date.parse('2026-01-01T03:00:00Z') / 1000,
    );
    expect(sample(text, 'lectio_backup_last_success_timestamp_seconds{kind="weekly"}')).toBe(0);
  });

  it('reports the free share of real filesystems, and transcode speed', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.watch({ diskPaths: { data: '/no/such/dir/yet', tmp: '/tmp' } });
    metrics.observeTranscode(60, 20);
    metrics.observeTranscode(0, 5);
    const text = await metrics.render();
    for (const path of ['data', 'tmp']) {
      const ratio = sample(text, `lectio_disk_free_ratio{path="${path}"}`);
      expect(ratio).toBeGreaterThan(0);
      expect(ratio).toBeLessThanOrEqual(1);
    }
    expect(sample(text, 'lectio_transcode_realtime_factor_count')).toBe(1);
    expect(sample(text, 'lectio_transcode_realtime_factor_sum')).toBe(3);
  });
});
