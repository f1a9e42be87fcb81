import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { lessons } from '../src/modules/catalog/schema.js';
import { EnrollmentAccessService } from '../src/modules/enrollments/access-service.js';
import { enrollments } from '../src/modules/enrollments/schema.js';
import { playbackSessions } from '../src/modules/playback/schema.js';
import type { CourseCompletion, CourseCompletionListener } from '../src/modules/progress/ports.js';
import { ProgressRepository } from '../src/modules/progress/repository.js';
import { lessonProgress } from '../src/modules/progress/schema.js';
import { endedSessionKey } from '../src/modules/playback/service.js';
import { ProgressService, type ProgressStore } from '../src/modules/progress/service.js';
import { users } from '../src/modules/users/schema.js';
import { MemoryCache } from '../src/platform/cache/memory.js';
import type { CachePort } from '../src/platform/cache/port.js';
import { RedisCache } from '../src/platform/cache/redis.js';
import type { Db } from '../src/platform/db/port.js';
import { insertCourse, insertReadyVideo, signedInUser, type FixtureCourse } from './support/course-fixtures.js';
import { createTestDatabase, DATABASE_BACKENDS, serverBackends, type TestDatabase } from './support/databases.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-services.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

/** The lesson videos here are 40 s long: watching one through at 2x takes 20 s of (fake) wall time. */
const DURATION = 40;

interface VideoCourse extends FixtureCourse {
  videoLessonId: string;
}

/** A published free course: the fixture's text and attachment lessons plus a 40 s video lesson. */
async function insertVideoCourse(db: Db, instructorId: string): Promise<VideoCourse> {
  const course = await insertCourse(db, { instructorId });
  const video = await insertReadyVideo(db, instructorId, { durationSeconds: DURATION });
  const [lesson] = await db
    .insert(lessons)
    .values({
      courseId: course.id,
      sectionId: course.sectionId,
      title: 'The lecture',
      type: 'video',
      position: 2,
      durationSeconds: DURATION,
      videoId: video.id,
    })
    .returning({ id: lessons.id });
  return { ...course, videoLessonId: lesson!.id };
}

/** What the playback grant (POST /lessons/:id/playback) records; written directly here. */
async function openSession(db: Db, userId: string, course: VideoCourse): Promise<string> {
  const [lesson] = await db
    .select({ videoId: lessons.videoId })
    .from(lessons)
    .where(eq(lessons.id, course.videoLessonId));
  const [row] = await db
    .insert(playbackSessions)
    .values({
      userId,
      courseId: course.id,
      lessonId: course.videoLessonId,
      videoId: lesson!.videoId!,
      expiresAt: new Date(Date.now() + 3600_000),
    })
    .returning({ id: playbackSessions.id });
  return row!.id;
}

async function progressRows(db: Db, userId: string) {
  return db.select().from(lessonProgress).where(eq(lessonProgress.userId, userId));
}

const tick = (sessionId: string, watched: [number, number][], position: number, playbackRate = 1) => ({
  sessionId,
  watched,
  positionSeconds: position,
  playbackRate,
  event: 'tick' as const,
});

/**
 * The service against the real database and cache of each backend, with a clock the test moves:
 * the wall-time rule is checked without waiting real minutes.
 */
describe.each(DATABASE_BACKENDS)('progress buffer, flush and completion [%s]', (backend) => {
  let database: TestDatabase;
  let db: Db;
  let cache: CachePort;
  let repository: ProgressRepository;
  let instructorId: string;
  let clock: number;

  const newUser = async (role: 'student' | 'instructor' = 'student') => {
    const [user] = await db
      .insert(users)
      .values({ email: `${role}-${randomUUID()}@example.com`, passwordHash: 'x', displayName: role, role })
      .returning({ id: users.id });
    return { userId: user!.id, role };
  };
  const enrolledStudent = async (course: VideoCourse) => {
    const student = await newUser();
    await db.insert(enrollments).values({ userId: student.userId, courseId: course.id, source: 'free' });
    return student;
  };
  const service = (opts: { store?: ProgressStore; listener?: CourseCompletionListener } = {}) =>
    new ProgressService(
      opts.store ?? repository,
      cache,
      new EnrollmentAccessService(db),
      opts.listener ?? { courseCompleted: async () => undefined },
      { publicUrl: 'http://lectio.test', mediaBaseUrl: 'http://lectio.test', now: () => clock },
    );
  const later = (seconds: number) => {
    clock += seconds * 1000;
  };

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    db = database.port.primary;
    repository = new ProgressRepository(db, db);
    instructorId = (await newUser('instructor')).userId;
  });
  afterAll(async () => {
    await database?.dispose();
  });
  beforeEach(async () => {
    clock = Date.parse('2026-03-02T09:00:00Z');
    cache =
      backend === 'postgres'
        ? await RedisCache.open({ url: inject('redisUrl'), namespace: `test:${randomUUID()}:` })
        : new MemoryCache();
  });
  afterEach(async () => {
    await cache.close();
  });

  it('buffers heartbeats without a database write; the flush writes the merged intervals', async () => {
    const course = await insertVideoCourse(db, instructorId);
    const student = await enrolledStudent(course);
    const session = await openSession(db, student.userId, course);
    // Every database call the service makes, through its store or the access check.
    const queries: string[] = [];
    const counting = new Proxy(repository, {
      get: (target, name, receiver) => {
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function'
          ? (...args: unknown[]) => {
              queries.push(String(name));
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            }
          : value;
      },
    });
    const access = new EnrollmentAccessService(db);
    const progress = new ProgressService(
      counting,
      cache,
      { accessOf: (actor, courseId) => (queries.push('accessOf'), access.accessOf(actor, courseId)) },
      { courseCompleted: async () => undefined },
      { publicUrl: 'http://lectio.test', mediaBaseUrl: 'http://lectio.test', now: () => clock },
    );

    later(10);
    expect(await progress.heartbeat(student, course.videoLessonId, tick(session, [[0, 10]], 10))).toEqual({
      completed: false,
    });
    // The session's first report reads the lesson, the access check and the session (reads only).
    expect(queries.sort()).toEqual(['accessOf', 'lesson', 'session']);
    queries.length = 0;
    later(10);
    await progress.heartbeat(student, course.videoLessonId, tick(session, [[10, 20]], 20));
    later(2);
    // A pause right after: nothing new watched, only the position.
    await progress.heartbeat(student, course.videoLessonId, { ...tick(session, [], 20.5), event: 'pause' });
    // Later reports of the session are answered from the cache alone.
    expect(queries).toEqual([]);
    expect(await progressRows(db, student.userId)).toEqual([]);

    // The student's own progress page already shows the buffered position.
    const before = await progress.courseProgress(student, course.id);
    expect(before.lessons.find((l) => l.lessonId === course.videoLessonId)).toMatchObject({
      positionSeconds: 20.5,
      watchedSeconds: 20,
      completed: false,
    });

    expect(await progress.flush()).toMatchObject({ entries: 1, completedLessons: 0 });
    const [row] = await progressRows(db, student.userId);
    expect(row).toMatchObject({
      lessonId: course.videoLessonId,
      courseId: course.id,
      watched: [[0, 20]],
      watchedSeconds: 20,
      lastPositionSeconds: 20.5,
      completedAt: null,
    });
    expect(row!.updatedAt.getTime()).toBe(clock);
    // Nothing left to flush; flushing again changes nothing.
    expect(await progress.flush()).toMatchObject({ entries: 0 });
  });

  it('merges new and stored rows alike whichever order the last batch chose (insert first, or read first)', async () => {
    const course = await insertVideoCourse(db, instructorId);
    const store = new ProgressRepository(db, db);
    const students = await Promise.all(Array.from({ length: 4 }, () => enrolledStudent(course)));
    const at = (seconds: number) => new Date(clock + seconds * 1000);
    const write = (userId: string, watched: [number, number][], seconds: number) => ({
      userId,
      lessonId: course.videoLessonId,
      watched,
      positionSeconds: watched.at(-1)![1],
      playbackRate: 1,
      reportedAt: at(seconds),
    });
    const [a, b, c, d] = students.map((s) => s.userId) as [string, string, string, string];
    // A first batch of new rows (inserted first), then the same rows again: every one exists, so the
    // next batch reads first.
    await store.merge([write(a, [[0, 10]], 10), write(b, [[0, 10]], 10)]);
    await store.merge([write(a, [[10, 20]], 20), write(b, [[20, 30]], 20)]);
    // Read first: two stored rows and two new ones, one of which covers the whole lesson at once.
    const merged = await store.merge([
      write(a, [[20, 38]], 30),
      write(b, [[0, 5]], 30),
      write(c, [[0, 12]], 30),
      write(d, [[0, DURATION]], 30),
    ]);
    const byUser = new Map(merged.map((m) => [m.userId, m]));
    expect(merged).toHaveLength(4);
    expect(byUser.get(a)).toMatchObject({ courseId: course.id, newlyCompleted: true });
    expect(byUser.get(b)?.newlyCompleted).toBe(false);
    expect(byUser.get(c)?.newlyCompleted).toBe(false);
    expect(byUser.get(d)?.newlyCompleted).toBe(true);
    const stored = new Map(
      (await Promise.all([a, b, c, d].map((u) => progressRows(db, u)))).map((rows) => [rows[0]!.userId, rows[0]!]),
    );
    expect(stored.get(a)?.watched).toEqual([[0, 38]]);
    expect(stored.get(b)?.watched).toEqual([
      [0, 10],
      [20, 30],
    ]);
    expect(stored.get(c)?.watched).toEqual([[0, 12]]);
    expect(stored.get(d)?.completedAt).not.toBeNull();
    // And back: a batch of only new rows is inserted (the order turns again after it).
    const e = (await enrolledStudent(course)).userId;
    expect(await store.merge([write(e, [[0, 8]], 40)])).toMatchObject([{ userId: e, newlyCompleted: false }]);
    expect((await progressRows(db, e))[0]?.watched).toEqual([[0, 8]]);
  });

  it('seeking to the end and watching 30 s does not complete a lesson; watching it through at 2x does', async () => {
    const course = await insertVideoCourse(db, instructorId);
    const progress = service();

    const seeker = await enrolledStudent(course);
    const seekerSession = await openSession(db, seeker.userId, course);
    // Seeks to 10 s and plays to the end: the position reaches 40 s, but only 30 of 40 s are covered.
    for (const [start, end] of [
      [10, 20],
      [20, 30],
      [30, 40],
    ] as const) {
      later(10);
      const answer = await progress.heartbeat(seeker, course.videoLessonId, tick(seekerSession, [[start, end]], end));
      expect(answer.completed).toBe(false);
    }

    const watcher = await enrolledStudent(course);
    const watcherSession = await openSession(db, watcher.userId, course);
    later(10);
    expect(await progress.heartbeat(watcher, course.videoLessonId, tick(watcherSession, [[0, 20]], 20, 2))).toEqual({
      completed: false,
    });
    later(10);
    expect(await progress.heartbeat(watcher, course.videoLessonId, tick(watcherSession, [[20, 40]], 40, 2))).toEqual({
      completed: true,
    });

    await progress.flush();
    const [seekerRow] = await progressRows(db, seeker.userId);
    expect(seekerRow).toMatchObject({ watchedSeconds: 30, lastPositionSeconds: 40, completedAt: null });
    const [watcherRow] = await progressRows(db, watcher.userId);
    expect(watcherRow).toMatchObject({ watchedSeconds: 40, playbackRate: 2 });
    expect(watcherRow!.completedAt?.getTime()).toBe(clock);
  });

  it('refuses more seconds than the wall time since the last report allows, ranges past the end, and foreign sessions', async () => {
    const course = await insertVideoCourse(db, instructorId);
    const student = await enrolledStudent(course);
    const session = await openSession(db, student.userId, course);
    const progress = service();
    const lessonId = course.videoLessonId;

    // A first report may cover 15 s of wall time at its rate, plus 2 s: 35 s at 1x is too much.
    await expect(progress.heartbeat(student, lessonId, tick(session, [[0, 35]], 35))).rejects.toMatchObject({
      statusCode: 422,
      code: 'progress_invalid',
      details: { reason: 'more_than_wall_time' },
    });
    later(10);
    await progress.heartbeat(student, lessonId, tick(session, [[0, 10]], 10));
    // 10 s later, 20 s watched at 1x is too much (10 × 1 + 2) ...
    later(10);
    await expect(progress.heartbeat(student, lessonId, tick(session, [[10, 30]], 30))).rejects.toMatchObject({
      statusCode: 422,
      details: { reason: 'more_than_wall_time', allowedSeconds: 12 },
    });
    // ... while at 2x it is what happened.
    expect(await progress.heartbeat(student, lessonId, tick(session, [[10, 30]], 30, 2))).toEqual({
      completed: false,
    });
    later(5);
    await expect(progress.heartbeat(student, lessonId, tick(session, [[30, 45]], 45))).rejects.toMatchObject({
      statusCode: 422,
      details: { reason: 'outside_duration' },
    });

    // Somebody else's session, or a made-up one, is not a way to claim a fresh allowance.
    const other = await enrolledStudent(course);
    await expect(progress.heartbeat(other, lessonId, tick(session, [[0, 5]], 5))).rejects.toMatchObject({
      statusCode: 422,
      details: { reason: 'unknown_session' },
    });
    await expect(progress.heartbeat(student, lessonId, tick(randomUUID(), [[0, 5]], 5))).rejects.toMatchObject({
      details: { reason: 'unknown_session' },
    });

    // A session the playback module ended (a third device took over) is refused from the cache.
    await cache.set(endedSessionKey(session), 'superseded', 60);
    later(10);
    await expect(progress.heartbeat(student, lessonId, tick(session, [[30, 35]], 35))).rejects.toMatchObject({
      statusCode: 409,
      code: 'playback_session_ended',
    });

    // Not enrolled, a text lesson, an unknown lesson.
    const outsider = await newUser();
    const outsiderSession = await openSession(db, outsider.userId, course);
    await expect(progress.heartbeat(outsider, lessonId, tick(outsiderSession, [], 0))).rejects.toMatchObject({
      statusCode: 403,
      code: 'not_enrolled',
    });
    await expect(progress.heartbeat(student, course.previewLessonId, tick(session, [], 0))).rejects.toMatchObject({
      statusCode: 409,
      code: 'lesson_not_video',
    });
    await expect(progress.heartbeat(student, randomUUID(), tick(session, [], 0))).rejects.toMatchObject({
      statusCode: 404,
    });

    await progress.flush();
    const [row] = await progressRows(db, student.userId);
    expect(row).toMatchObject({ watched: [[0, 30]], watchedSeconds: 30 });
  });

  it('calls the course-completion listener once when the last lesson is completed', async () => {
    const course = await insertVideoCourse(db, instructorId);
    const student = await enrolledStudent(course);
    const calls: CourseCompletion[] = [];
    const progress = service({ listener: { courseCompleted: async (c) => void calls.push(c) } });

    await progress.opened(student, course.previewLessonId);
    await progress.opened(student, course.paidLessonId);
    // Opening again changes nothing.
    await progress.opened(student, course.paidLessonId);
    await expect(progress.opened(student, course.videoLessonId)).rejects.toMatchObject({
      statusCode: 409,
      code: 'lesson_is_video',
    });
    expect(calls).toEqual([]);

    const session = await openSession(db, student.userId, course);
    later(10);
    await progress.heartbeat(student, course.videoLessonId, tick(session, [[0, 20]], 20, 2));
    later(10);
    await progress.heartbeat(student, course.videoLessonId, tick(session, [[20, 38]], 38, 2));
    const completedAt = clock;
    expect(calls).toEqual([]);
    await progress.flush();
    expect(calls).toEqual([{ userId: student.userId, courseId: course.id, completedAt: new Date(completedAt) }]);

    // Rewatching a completed course and flushing again announces nothing new.
    later(10);
    await progress.heartbeat(student, course.videoLessonId, tick(session, [[0, 10]], 10));
    await progress.flush();
    expect(calls).toHaveLength(1);
    const summary = await progress.courseProgress(student, course.id);
    expect(summary).toMatchObject({ completedLessons: 3, totalLessons: 3, percent: 100 });
    expect(summary.completedAt).toBe(new Date(completedAt).toISOString());
  });

  it('loses nothing when a flush dies before the database commit, or a report lands during a flush', async () => {
    const course = await insertVideoCourse(db, instructorId);
    const student = await enrolledStudent(course);
    const session = await openSession(db, student.userId, course);
    const lessonId = course.videoLessonId;
    const live = service();

    later(10);
    await live.heartbeat(student, lessonId, tick(session, [[0, 10]], 10));
    const failing: ProgressStore = Object.assign(Object.create(repository) as ProgressRepository, {
      merge: async () => {
        throw new Error('database unreachable');
      },
    });
    await expect(service({ store: failing }).flush()).rejects.toThrow('database unreachable');
    expect(await progressRows(db, student.userId)).toEqual([]);

    // While the next flush writes, the player reports again: the flush's second round takes it.
    let raced = false;
    const racing: ProgressStore = Object.assign(Object.create(repository) as ProgressRepository, {
      merge: async (writes: Parameters<ProgressRepository['merge']>[0]) => {
        if (!raced) {
          // After the flush read the entry, before its write commits.
          raced = true;
          later(10);
          await live.heartbeat(student, lessonId, tick(session, [[10, 20]], 20));
        }
        return repository.merge(writes);
      },
    });
    await service({ store: racing }).flush();
    expect((await progressRows(db, student.userId))[0]).toMatchObject({ watched: [[0, 20]], lastPositionSeconds: 20 });

    // Two flushes at once: one takes the lock, the union makes any repeat harmless.
    later(10);
    await live.heartbeat(student, lessonId, tick(session, [[20, 30]], 30));
    await Promise.all([live.flush(), service().flush(), live.flush()]);
    await live.flush();
    expect((await progressRows(db, student.userId))[0]).toMatchObject({ watched: [[0, 30]], watchedSeconds: 30 });
  });
});

/** The HTTP side on both server backends. The worker is off: only the test runs the flush. */
describe.each(serverBackends())('progress over HTTP [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let db: Db;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer(s.env, { api: true, worker: false });
    db = server.database.primary;
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  const setupCourse = async () => {
    const instructor = await signedInUser(server, 'instructor');
    const student = await signedInUser(server, 'student');
    const course = await insertVideoCourse(db, instructor.id);
    expect((await student.client.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    return { instructor, student, course };
  };

  it('accepts heartbeats with no database write until the flush, and shows them on the progress page', async () => {
    const { student, course } = await setupCourse();
    const session = await openSession(db, student.id, course);
    const report = (watched: [number, number][], position: number) =>
      student.client.call('POST', `/lessons/${course.videoLessonId}/progress`, tick(session, watched, position));

    const first = await report([[0, 8]], 8);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ completed: false });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await report([[8, 10]], 10)).status).toBe(202);
    expect(await progressRows(db, student.id)).toEqual([]);

    const page = await student.client.call('GET', `/courses/${course.id}/progress`);
    expect(page.status).toBe(200);
    const body = (await page.json()) as { totalLessons: number; lessons: { lessonId: string }[] };
    expect(body).toMatchObject({ courseId: course.id, completedLessons: 0, totalLessons: 3, percent: 0 });
    expect(body.lessons.find((l) => l.lessonId === course.videoLessonId)).toEqual({
      lessonId: course.videoLessonId,
      completed: false,
      positionSeconds: 10,
      watchedSeconds: 10,
      durationSeconds: DURATION,
    });

    await server.services.progress.flush();
    expect(await progressRows(db, student.id)).toMatchObject([{ watched: [[0, 10]], lastPositionSeconds: 10 }]);

    // Opening the text lesson completes it; the video lesson cannot be "opened".
    expect((await student.client.call('POST', `/lessons/${course.previewLessonId}/progress/opened`)).status).toBe(204);
    const video = await student.client.call('POST', `/lessons/${course.videoLessonId}/progress/opened`);
    expect(video.status).toBe(409);

    const learning = await student.client.call('GET', '/me/learning');
    expect(learning.status).toBe(200);
    const mine = (await learning.json()) as {
      continueWatching: { lessonId: string; positionSeconds: number }[];
      courses: { items: { courseId: string; completedLessons: number; percent: number }[]; total: number };
    };
    expect(mine.continueWatching[0]).toMatchObject({ lessonId: course.videoLessonId, positionSeconds: 10 });
    expect(mine.courses.total).toBe(1);
    expect(mine.courses.items[0]).toMatchObject({ courseId: course.id, completedLessons: 1, percent: 33 });
  });

  it('refuses what a player could not have played, ended sessions, and outsiders', async () => {
    const { student, course } = await setupCourse();
    const session = await openSession(db, student.id, course);
    const url = `/lessons/${course.videoLessonId}/progress`;

    const tooMuch = await student.client.call('POST', url, tick(session, [[0, 30]], 30));
    expect(tooMuch.status).toBe(422);
    expect(((await tooMuch.json()) as { error: { code: string } }).error.code).toBe('progress_invalid');
    expect((await student.client.call('POST', url, tick(session, [[0, 41.5]], 2))).status).toBe(422);
    expect((await student.client.call('POST', url, { ...tick(session, [], 0), playbackRate: 3 })).status).toBe(400);

    const ended = await openSession(db, student.id, course);
    await db
      .update(playbackSessions)
      .set({ endedAt: new Date(), endReason: 'superseded' })
      .where(eq(playbackSessions.id, ended));
    const refused = await student.client.call('POST', url, tick(ended, [[0, 5]], 5));
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('playback_session_ended');

    const outsider = await signedInUser(server, 'student');
    const outsiderSession = await openSession(db, outsider.id, course);
    expect((await outsider.client.call('POST', url, tick(outsiderSession, [[0, 5]], 5))).status).toBe(403);
    expect((await outsider.client.call('GET', `/courses/${course.id}/progress`)).status).toBe(403);
    expect((await student.client.call('POST', `/lessons/${randomUUID()}/progress`, tick(session, [], 0))).status).toBe(
      404,
    );
    await server.services.progress.flush();
    expect(await progressRows(db, student.id)).toEqual([]);
  });

  it('draws the retention curve and completion rates from stored watched intervals (studio)', async () => {
    const { instructor, course } = await setupCourse();
    // Synthetic viewers of the 40 s lesson, sampled at 4 points: seconds 0, 10, 20, 30.
    const viewers: [number, number][][] = [
      [[0, 40]], // covers 0, 10, 20, 30
      [[0, 15]], // covers 0, 10
      [
        [5, 12],
        [18, 25],
      ], // covers 10, 20
      [[30, 40]], // covers 30
    ];
    for (const watched of viewers) {
      const [user] = await db
        .insert(users)
        .values({ email: `viewer-${randomUUID()}@example.com`, passwordHash: 'x', displayName: 'v', role: 'student' })
        .returning({ id: users.id });
      await db.insert(enrollments).values({ userId: user!.id, courseId: course.id, source: 'free' });
      const seconds = watched.reduce((s, [a, b]) => s + b - a, 0);
      await db.insert(lessonProgress).values({
        userId: user!.id,
        lessonId: course.videoLessonId,
        courseId: course.id,
        watched,
        watchedSeconds: seconds,
        completedAt: seconds >= 36 ? new Date() : null,
      });
    }
    const res = await instructor.client.call('GET', `/studio/lessons/${course.videoLessonId}/retention?points=4`);
    expect(res.status).toBe(200);
    // Shares out of 4 viewers: 0 s → 2, 10 s → 3, 20 s → 2, 30 s → 2.
    expect(await res.json()).toEqual({
      lessonId: course.videoLessonId,
      durationSeconds: DURATION,
      viewers: 4,
      points: [
        { second: 0, share: 0.5 },
        { second: 10, share: 0.75 },
        { second: 20, share: 0.5 },
        { second: 30, share: 0.5 },
      ],
    });

    const analytics = await instructor.client.call('GET', `/studio/courses/${course.id}/analytics`);
    expect(analytics.status).toBe(200);
    // Five students: the four synthetic viewers and the enrolled fixture student who watched nothing.
    const stats = (await analytics.json()) as { students: number; lessons: { lessonId: string }[] };
    expect(stats).toMatchObject({ students: 5, completedStudents: 0 });
    expect(stats.lessons.find((l) => l.lessonId === course.videoLessonId)).toEqual({
      lessonId: course.videoLessonId,
      title: 'The lecture',
      type: 'video',
      durationSeconds: DURATION,
      viewers: 4,
      completions: 1,
      completionRate: 0.2,
    });
    const other = await signedInUser(server, 'instructor');
    expect((await other.client.call('GET', `/studio/courses/${course.id}/analytics`)).status).toBe(404);
  });
});

// Stops a Redis of its own; the machine's shared Redis is never touched.
describe('progress with the cache down [private redis]', () => {
  let redis: PrivateRedis;
  let server: TestServer;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    server = await startTestServer({ REDIS_URL: redis.url }, { api: true, worker: false });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('writes heartbeats straight to the database while the cache is down, and buffers again once it is back', async () => {
    const db = server.database.primary;
    const instructor = await signedInUser(server, 'instructor');
    const student = await signedInUser(server, 'student');
    const course = await insertVideoCourse(db, instructor.id);
    expect((await student.client.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    const session = await openSession(db, student.id, course);
    const url = `/lessons/${course.videoLessonId}/progress`;

    await redis.stop();
    const first = await student.client.call('POST', url, tick(session, [[0, 6]], 6));
    expect(first.status).toBe(202);
    expect(await progressRows(db, student.id)).toMatchObject([{ watched: [[0, 6]], lastPositionSeconds: 6 }]);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await student.client.call('POST', url, tick(session, [[6, 8]], 8))).status).toBe(202);
    expect(await progressRows(db, student.id)).toMatchObject([{ watched: [[0, 8]], watchedSeconds: 8 }]);
    // The wall-time rule still holds without the buffer.
    expect((await student.client.call('POST', url, tick(session, [[8, 30]], 30))).status).toBe(422);

    await redis.start();
    await waitUntil(async () => {
      const ready = (await (await fetch(`${server.url}/health/ready`)).json()) as {
        checks: { cache?: { status: string } };
      };
      return ready.checks.cache?.status === 'up' ? true : undefined;
    }, 'the cache to come back');
    // Back on the buffer: a report with the cache up leaves the row as it was.
    const before = (await progressRows(db, student.id))[0]!.updatedAt.getTime();
    await new Promise((r) => setTimeout(r, 1100));
    expect((await student.client.call('POST', url, tick(session, [[8, 9]], 9))).status).toBe(202);
    expect((await progressRows(db, student.id))[0]!.updatedAt.getTime()).toBe(before);
    await server.services.progress.flush();
    expect(await progressRows(db, student.id)).toMatchObject([{ watched: [[0, 9]] }]);
  });
});
