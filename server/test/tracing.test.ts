import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, registerJob } from '../src/platform/queue/port.js';
import { startTracing, tracer, type Tracing } from '../src/platform/telemetry/tracing.js';
import { ApiClient } from './support/accounts.js';
import { PASSWORD, unique } from './support/catalog.js';
import { serverBackends } from './support/databases.js';
import { generateVideo } from './support/media.js';
import { openQueueBackend, QUEUE_BACKENDS, type QueueBackendHarness } from './support/queue-backends.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';
import { uploadThroughApi, watchUntilSettled } from './support/video-pipeline.js';

/**
 * The spans Lectio makes, read back from an in-memory exporter: one upload taken to a published
 * ladder on each backend, and the trace carried from an enqueuing span into the job (retries
 * included) on every queue backend.
 */

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
beforeAll(() => {
  tracing = startTracing({ serviceName: 'lectio-test', exporter });
});
afterAll(async () => {
  await tracing.shutdown();
});

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** The spans of one trace, and helpers to walk it. */
function traceTree(traceId: string) {
  const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const children = (span: ReadableSpan) => spans.filter((s) => parentOf(s) === idOf(span));
  const descendants = (span: ReadableSpan): ReadableSpan[] => children(span).flatMap((c) => [c, ...descendants(c)]);
  return { spans, children, descendants };
}

let mediaDir: string;
let lecture: string;
beforeAll(async () => {
  mediaDir = await mkdtemp(path.join(os.tmpdir(), 'lectio-tracing-media-'));
  lecture = await generateVideo(path.join(mediaDir, 'lecture.mp4'), { seconds: 3, width: 640, height: 360 });
}, 120_000);
afterAll(async () => {
  await rm(mediaDir, { recursive: true, force: true });
});

describe.each(serverBackends())('the trace of one upload, to a ready video [%s]', (name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({ ...s.env, TRUST_PROXY: 'true', TRANSCODE_PRESET: 'ultrafast' });
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('runs from the completing request through the queued job to ffprobe, ffmpeg and the database', async () => {
    const email = `trace-${unique()}@example.com`;
    await server.services.users.createUser({ email, password: PASSWORD, displayName: 'Tracer', role: 'instructor' });
    const client = new ApiClient(server.url, `10.78.${name.length}.1`);
    expect((await client.login(email, PASSWORD)).status).toBe(200);

    const uploaded = await uploadThroughApi(client, lecture, 'trace.mp4');
    const { final } = await watchUntilSettled(client, uploaded.id);
    expect(final.status).toBe('ready');

    const completeRoute = '/api/v1/studio/videos/:id/upload/complete';
    const request = await waitUntil(
      async () =>
        exporter
          .getFinishedSpans()
          .find((s) => s.name === `POST ${completeRoute}` && String(s.attributes['url.path']).includes(uploaded.id)),
      'the completing request span',
    );
    expect(request.kind).toBe(SpanKind.SERVER);
    expect(request.attributes).toMatchObject({ 'http.route': completeRoute, 'http.response.status_code': 200 });
    const traceId = request.spanContext().traceId;

    // The job's span ends just after the video is published; wait for it.
    const job = await waitUntil(
      async () => traceTree(traceId).spans.find((s) => s.name === 'job videos.transcode'),
      'the transcode job span in the request trace',
    );
    const tree = traceTree(traceId);
    const enqueue = tree.spans.find((s) => s.name === 'enqueue videos.transcode');
    expect(enqueue?.kind).toBe(SpanKind.PRODUCER);
    expect(tree.descendants(request)).toContain(enqueue);
    // The job continues the request's trace, as a child of the enqueue.
    expect(job.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(job)).toBe(idOf(enqueue!));
    expect(job.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(job.attributes['messaging.system']).toBe(name === 'embedded' ? 'embedded' : 'bullmq');

    const inJob = tree.descendants(job);
    const names = inJob.map((s) => s.name);
    expect(names).toContain('ffprobe');
    expect(names).toContain('ffmpeg');
    for (const tool of inJob.filter((s) => s.name === 'ffmpeg' || s.name === 'ffprobe')) {
      expect(tool.attributes['process.exit.code']).toBe(0);
      expect(tool.attributes['lectio.process.wall_seconds']).toBeGreaterThan(0);
    }
    // Database queries of both the request and the job, with statements and never parameter values.
    const queries = (spans: ReadableSpan[]) => spans.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    expect(queries(tree.children(request)).length).toBeGreaterThan(0);
    expect(queries(inJob).some((s) => /update/i.test(String(s.attributes['db.query.text'])))).toBe(true);
    for (const query of queries(tree.spans)) {
      expect(query.kind).toBe(SpanKind.CLIENT);
      expect(String(query.attributes['db.query.text'])).not.toContain(uploaded.id);
    }
    if (name !== 'embedded') {
      // On Redis the enqueue itself is a Redis call inside the producer span.
      const redis = tree.descendants(enqueue!).filter((s) => s.attributes['db.system.name'] === 'redis');
      expect(redis.length).toBeGreaterThan(0);
    }
    // The mail to the instructor is queued by the job, so it joins the same trace.
    expect(names.some((n) => n.startsWith('enqueue notifications.'))).toBe(true);
  });
});

const flakyJob = defineJob({
  name: 'tests.traced-flaky',
  queue: 'default',
  priority: 'medium',
  payload: z.object({ n: z.number() }),
  attempts: 2,
  backoffMs: 10,
});

describe.each(QUEUE_BACKENDS)('trace context into queued jobs [%s]', (backend) => {
  let harness: QueueBackendHarness;
  beforeAll(async () => {
    harness = await openQueueBackend(backend);
  });
  beforeEach(async () => {
    await harness.reset();
  });
  afterAll(async () => {
    await harness?.dispose();
  });

  it('continues the enqueuing trace in every attempt, and a job enqueued outside a trace starts its own', async () => {
    const queue = harness.makeQueue();
    const seen: { n: number; attempt: number; traceId: string | undefined; parent: string | undefined }[] = [];
    await queue.startWorkers(
      [
        registerJob(flakyJob, async ({ n }, job) => {
          const span = trace.getActiveSpan();
          seen.push({
            n,
            attempt: job.attempt,
            traceId: span?.spanContext().traceId,
            parent: (span as unknown as ReadableSpan | undefined)?.parentSpanContext?.spanId,
          });
          if (n === 1 && job.attempt === 1) throw new Error('first attempt fails');
        }),
      ],
      { queues: ['default'], concurrency: { default: 1, video: 0 } },
    );
    const request = tracer().startSpan('test request', { kind: SpanKind.SERVER });
    await context.with(trace.setSpan(context.active(), request), () => queue.enqueue(flakyJob, { n: 1 }));
    request.end();
    await queue.enqueue(flakyJob, { n: 2 });
    await waitUntil(async () => (seen.length >= 3 ? true : undefined), 'both attempts and the untraced job', 20_000);

    const traceId = request.spanContext().traceId;
    const enqueue = exporter
      .getFinishedSpans()
      .find((s) => s.name === 'enqueue tests.traced-flaky' && s.spanContext().traceId === traceId);
    expect(parentOf(enqueue!)).toBe(request.spanContext().spanId);
    const traced = seen.filter((s) => s.n === 1);
    expect(traced.map((s) => s.attempt)).toEqual([1, 2]);
    for (const attempt of traced) {
      expect(attempt.traceId).toBe(traceId);
      expect(attempt.parent).toBe(idOf(enqueue!));
    }
    const untraced = seen.find((s) => s.n === 2);
    expect(untraced?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(untraced?.traceId).not.toBe(traceId);
    await queue.stopWorkers();
  });
});
