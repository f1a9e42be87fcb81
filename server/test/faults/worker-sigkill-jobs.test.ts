import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lessons } from '../../src/modules/catalog/schema.js';
import { coupons, orders } from '../../src/modules/payments/schema.js';
import { flushProgressJob } from '../../src/modules/progress/jobs.js';
import { lessonProgress } from '../../src/modules/progress/schema.js';
import { users } from '../../src/modules/users/schema.js';
import { RedisCache } from '../../src/platform/cache/redis.js';
import { BullmqQueue } from '../../src/platform/queue/bullmq.js';
import { insertCourse, insertReadyVideo, signedInUser } from '../support/course-fixtures.js';
import {
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from '../support/private-services.js';
import { startTestServer, waitUntil, type TestServer } from '../support/servers.js';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.js';
import {
  killGroup,
  sleep,
  startSteadyLoad,
  startWorker,
  summary,
  type SteadyLoad,
  type WorkerProcess,
} from './support.js';

/**
 * A worker process (`lectio serve --worker` from the build) SIGKILLed in the middle of a job, under
 * steady API load; a new worker takes the job over. In effect each job happens once:
 * - a receipt mail the relay already took when the worker died is sent again under the same
 *   Message-ID, so the student's mailbox shows one receipt (mail providers drop the copy), and
 *   the order records it as sent;
 * - a progress flush killed halfway is finished by the next one, every buffered report in
 *   lesson_progress, none counted twice.
 * The transcode case is worker-sigkill-transcode.test.ts.
 */

const BACKLOG = 8_000;

describe('a worker SIGKILLed mid-job [private postgres + redis, smtp capture]', () => {
  let database: PrivatePostgres;
  let redis: PrivateRedis;
  let smtp: SmtpCapture;
  let server: TestServer;
  let load: SteadyLoad | undefined;
  let workerEnv: Record<string, string>;
  const workers: WorkerProcess[] = [];
  const prefix = `fault${Date.now().toString(36)}`;
  const describeWorkers = () => workers.map((w, i) => `--- worker ${i + 1} ---\n${w.output()}`).join('\n');

  beforeAll(async () => {
    [database, redis, smtp] = await Promise.all([startPrivatePostgres(), startPrivateRedis(), startSmtpCapture()]);
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      QUEUE_BACKEND: 'bullmq',
      SMTP_URL: smtp.url,
      PAYMENTS_BACKEND: 'test',
      SEED_DEMO_DATA: 'false',
      // Short, so a killed worker's job runs elsewhere within seconds.
      JOB_LEASE_SECONDS: '2',
    };
    server = await startTestServer({ ...env, TRUST_PROXY: 'true' }, { api: true, worker: false });
    workerEnv = { ...env, LECTIO_DATA_DIR: server.dataDir, PUBLIC_URL: server.url };
  }, 60_000);
  afterAll(async () => {
    await load?.stop().catch(() => undefined);
    await Promise.all(workers.map((w) => killGroup(w, 'SIGKILL')));
    await server?.stop();
    await smtp?.close();
    await redis?.stop();
    await database?.destroy();
  });

  it('sends the receipt once in effect and loses no progress', async () => {
    const db = server.database.primary;
    const instructor = await signedInUser(server, 'instructor');
    const course = await insertCourse(db, { instructorId: instructor.id, price: 25_000 });
    await db.insert(coupons).values({
      code: 'KILLFREE',
      kind: 'percent',
      percentOff: 100,
      courseId: course.id,
      createdBy: instructor.id,
    });
    load = startSteadyLoad(
      [
        { name: 'catalog', url: `${server.url}/api/v1/courses` },
        { name: 'course', url: `${server.url}/api/v1/courses/${course.slug}` },
      ],
      { concurrency: 2 },
    );

    // --- The receipt: the relay has the mail, the worker dies before it hears "250".
    const student = await signedInUser(server, 'student');
    const held = smtp.holdNext();
    const first = startWorker(workerEnv);
    workers.push(first);
    const ordered = await student.client.call('POST', '/orders', { courseId: course.id, couponCode: 'killfree' });
    expect(ordered.status).toBe(201);
    const orderId = ((await ordered.json()) as { order: { id: string } }).order.id;
    await Promise.race([
      held,
      sleep(30_000).then(() => {
        throw new Error(`no receipt reached the relay\n${describeWorkers()}`);
      }),
    ]);
    await killGroup(first, 'SIGKILL');
    const [unsent] = await db.select().from(orders).where(eq(orders.id, orderId));
    expect(unsent?.receiptSentAt, 'the killed worker never recorded the receipt').toBeNull();

    const second = startWorker(workerEnv);
    workers.push(second);
    await waitUntil(
      async () => {
        const [row] = await db.select().from(orders).where(eq(orders.id, orderId));
        return row?.receiptSentAt ? row : undefined;
      },
      `the receipt to be recorded as sent\n${describeWorkers()}`,
      30_000,
    );
    await sleep(1_000);
    const receipts = smtp.mails.filter((m) => m.to.includes(student.email) && /receipt/i.test(m.subject ?? ''));
    // Two deliveries (the killed run's and the retry) of one message: the reader sees one receipt.
    expect(receipts.length).toBe(2);
    expect(new Set(receipts.map((m) => m.messageId)).size, receipts.map((m) => m.messageId).join(' ')).toBe(1);

    // --- The progress flush: a backlog of buffered reports, the worker killed halfway through.
    const video = await insertReadyVideo(db, instructor.id, { durationSeconds: 600 });
    const [lesson] = await db
      .insert(lessons)
      .values({
        courseId: course.id,
        sectionId: course.sectionId,
        title: 'The lecture',
        type: 'video',
        position: 2,
        durationSeconds: 600,
        videoId: video.id,
      })
      .returning({ id: lessons.id });
    const lessonId = lesson!.id;
    const students = await db
      .insert(users)
      .values(
        Array.from({ length: BACKLOG }, (_, i) => ({
          email: `flush-${i}-${randomUUID()}@example.com`,
          passwordHash: 'x',
          displayName: `Flush ${i}`,
          role: 'student' as const,
        })),
      )
      .returning({ id: users.id });
    // The buffer as heartbeats leave it (ProgressService.bufferedHeartbeat): one entry per student
    // and lesson, each 30 s watched, and the dirty mark the flush reads.
    const cache = await RedisCache.open({ url: redis.url, namespace: `${prefix}:` });
    const queue = new BullmqQueue({ redisUrl: redis.url, leaseMs: 2_000, shutdownTimeoutMs: 1_000, prefix });
    try {
      const now = Date.now();
      for (let i = 0; i < students.length; i += 500) {
        await Promise.all(
          students.slice(i, i + 500).map(({ id }) =>
            cache.hashSet(
              `progress:buf:${id}:${lessonId}`,
              {
                [`s:${randomUUID()}`]: JSON.stringify({ w: [[0, 30]], p: 30, r: 1, t: now }),
                db: JSON.stringify({ w: [], c: false }),
              },
              3600,
            ),
          ),
        );
      }
      await cache.hashSet('progress:dirty', Object.fromEntries(students.map(({ id }) => [`${id}:${lessonId}`, '1'])));

      const flushed = async () =>
        (
          await db
            .select({ n: sql<number>`count(*)::int` })
            .from(lessonProgress)
            .where(eq(lessonProgress.lessonId, lessonId))
        )[0]!.n;
      await queue.enqueue(flushProgressJob, {});
      let partial = 0;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        partial = await flushed();
        if (partial > 0) break;
        await sleep(5);
      }
      await killGroup(second, 'SIGKILL');
      const afterKill = await flushed();
      console.log(`[worker-sigkill] flush killed with ${partial}–${afterKill} of ${BACKLOG} rows written`);
      expect(partial, describeWorkers()).toBeGreaterThan(0);
      expect(afterKill, 'killed before the flush finished').toBeLessThan(BACKLOG);

      // The next worker, with the per-minute schedule's job enqueued more often than a minute.
      const third = startWorker(workerEnv);
      workers.push(third);
      await waitUntil(
        async () => {
          if ((await flushed()) === BACKLOG) return true;
          await queue.enqueue(flushProgressJob, {});
          await sleep(1_000);
          return undefined;
        },
        `the backlog to be flushed\n${describeWorkers()}`,
        45_000,
      );
      const wrong = await db
        .select({ userId: lessonProgress.userId })
        .from(lessonProgress)
        .where(
          and(
            eq(lessonProgress.lessonId, lessonId),
            sql`(${lessonProgress.watchedSeconds} <> 30 or ${lessonProgress.watched} <> '[[0, 30]]'::jsonb)`,
          ),
        );
      expect(wrong, 'every report stored once, as reported').toEqual([]);
      await killGroup(third, 'SIGTERM');
    } finally {
      await queue.close();
      await cache.close();
    }

    const answers = await load.stop();
    load = undefined;
    expect(
      answers.filter((a) => a.status !== 200),
      summary(answers),
    ).toEqual([]);
  }, 120_000);
});
