import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { insertCourse, insertReadyVideo } from '../../../test/support/course-fixtures.js';
import { createTestDatabase, DATABASE_BACKENDS, type TestDatabase } from '../../../test/support/databases.js';
import type { Db } from '../../platform/db/port.js';
import { lessons } from '../catalog/schema.js';
import { users } from '../users/schema.js';
import { PlaybackRepository, type OpenedSession, type OpenSessionValues } from './repository.js';
import { playbackSessions } from './schema.js';

/** The session a grant opened or renewed; fails the test on a refusal. */
function sessionOf(opened: OpenedSession): string {
  if (opened.refusal) throw new Error(`the grant was refused: ${opened.refusal}`);
  return opened.sessionId;
}

/** A published course by a new instructor: its paid lesson plays a ready video, its preview is text. */
async function seedPlayableCourse(db: Db) {
  const [instructor] = await db
    .insert(users)
    .values({
      email: `teacher-${randomUUID()}@example.com`,
      passwordHash: 'x',
      displayName: 'Teacher',
      role: 'instructor',
    })
    .returning({ id: users.id });
  const course = await insertCourse(db, { instructorId: instructor!.id });
  const video = await insertReadyVideo(db, instructor!.id);
  await db.update(lessons).set({ type: 'video', videoId: video.id }).where(eq(lessons.id, course.paidLessonId));
  return {
    courseId: course.id,
    lessonId: course.paidLessonId,
    textLessonId: course.previewLessonId,
    videoId: video.id,
    version: video.version,
  };
}

describe.each(DATABASE_BACKENDS)('playback sessions and lessons read in batches [%s]', (backend) => {
  let database: TestDatabase;
  let repository: PlaybackRepository;
  let courseId: string;
  let lessonId: string;
  let textLessonId: string;
  let videoId: string;
  let version: string;
  const t0 = new Date('2026-11-28T10:00:00Z');
  const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

  async function newStudent(name: string): Promise<string> {
    const [row] = await database.port.primary
      .insert(users)
      .values({ email: `${name}-${randomUUID()}@example.com`, passwordHash: 'x', displayName: name })
      .returning({ id: users.id });
    return row!.id;
  }

  const grant = (userId: string, seconds: number, extra: Partial<OpenSessionValues> = {}): OpenSessionValues => ({
    userId,
    courseId,
    lessonId,
    videoId,
    at: at(seconds),
    expiresAt: at(seconds + 600),
    keep: 1,
    ...extra,
  });

  async function running(userId: string): Promise<string[]> {
    const rows = await database.port.primary
      .select({ id: playbackSessions.id })
      .from(playbackSessions)
      .where(and(eq(playbackSessions.userId, userId), isNull(playbackSessions.endedAt)));
    return rows.map((r) => r.id).sort();
  }

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    ({ courseId, lessonId, textLessonId, videoId, version } = await seedPlayableCourse(database.port.primary));
    repository = new PlaybackRepository(database.port.primary);
  });

  afterAll(async () => {
    await database?.dispose();
  });

  it('answers grants sent together in one call as the same grants one at a time would', async () => {
    const [ann, ben] = [await newStudent('ann'), await newStudent('ben')];
    const first = sessionOf(await repository.openSession(grant(ann, 0)));
    const second = sessionOf(await repository.openSession(grant(ann, 1)));

    const execute = vi.spyOn(database.port.primary, 'execute');
    const answers = await Promise.all([
      repository.openSession(grant(ann, 2)), // a third player: the least recently renewed ends
      repository.openSession(grant(ben, 2)),
      repository.openSession(grant(ann, 2, { renewing: first })), // ended by the first of the batch
      repository.openSession(grant(ben, 2, { renewing: randomUUID() })),
      repository.openSession(grant(ann, 2, { renewing: second, lessonId: textLessonId })),
    ]);
    expect(execute).toHaveBeenCalledTimes(1);
    execute.mockRestore();

    const [third, benFirst, renewEnded, renewUnknown, renewOtherLesson] = answers;
    expect(third).toEqual({ sessionId: expect.any(String), superseded: [first] });
    expect(benFirst).toEqual({ sessionId: expect.any(String), superseded: [] });
    expect(renewEnded).toEqual({ refusal: 'ended', reason: 'superseded' });
    expect(renewUnknown).toEqual({ refusal: 'not_found' });
    expect(renewOtherLesson).toEqual({ refusal: 'not_found' });
    expect(await running(ann)).toEqual([second, sessionOf(third!)].sort());
    expect(await running(ben)).toEqual([sessionOf(benFirst!)]);
  });

  it('holds the limit when one student opens many players at once', async () => {
    const cat = await newStudent('cat');
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => repository.openSession(grant(cat, 10 + i))));
    const opened = answers.map(sessionOf);
    // keep = 1: the last two granted (in the batch's order) run, every earlier one was superseded.
    expect(await running(cat)).toEqual([opened[4]!, opened[5]!].sort());
  });

  it('keeps nothing of a failed batch and answers each grant alone: only the bad one fails', async () => {
    const dan = await newStudent('dan');
    const execute = vi.spyOn(database.port.primary, 'execute');
    const answers = await Promise.allSettled([
      repository.openSession(grant(dan, 20)),
      repository.openSession(grant(dan, 20, { lessonId: randomUUID() })), // no such lesson: a foreign-key error
      repository.openSession(grant(randomUUID(), 20)), // an account deleted while it asked
    ]);
    // The batch, then each grant alone.
    expect(execute).toHaveBeenCalledTimes(4);
    execute.mockRestore();
    expect(answers[0]).toEqual({ status: 'fulfilled', value: { sessionId: expect.any(String), superseded: [] } });
    expect(answers[1]).toMatchObject({ status: 'rejected' });
    expect(answers[2]).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('no user') } });
    const opened = answers[0].status === 'fulfilled' ? sessionOf(answers[0].value) : undefined;
    expect(await running(dan)).toEqual([opened]);
  });

  it('reads the lessons of grants sent together, each answered, whatever the case of their ids', async () => {
    const [video, text, unknown, upper] = await Promise.all([
      repository.playableLesson(lessonId),
      repository.playableLesson(textLessonId),
      repository.playableLesson(randomUUID()),
      repository.playableLesson(lessonId.toUpperCase()),
    ]);
    expect(video).toMatchObject({
      lesson: { id: lessonId, courseId, type: 'video', isFreePreview: false },
      course: { id: courseId, status: 'published', takenDownAt: null },
      video: { id: videoId, version, poster: { jpeg: 'poster.jpg' }, captions: [] },
    });
    expect(text).toMatchObject({ lesson: { id: textLessonId, type: 'text', isFreePreview: true }, video: null });
    expect(unknown).toBeUndefined();
    expect(upper).toEqual(video);
  });
});

// PostgreSQL only: PGlite has one connection, so nothing else can hold a lock while a grant waits.
describe('a batch of grants waiting on a locked account [postgres]', () => {
  let database: TestDatabase;
  let repository: PlaybackRepository;
  let values: Omit<OpenSessionValues, 'userId'>;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const { courseId, lessonId, videoId } = await seedPlayableCourse(database.port.primary);
    const now = new Date();
    values = {
      courseId,
      lessonId,
      videoId,
      at: now,
      expiresAt: new Date(now.getTime() + 600_000),
      keep: 1,
    };
    repository = new PlaybackRepository(database.port.primary);
  });

  afterAll(async () => {
    await database?.dispose();
  });

  it('gives up after its lock timeout, so the other grants answer while the locked one waits alone', async () => {
    const db = database.port.primary;
    const [eve, fay] = await db
      .insert(users)
      .values(['eve', 'fay'].map((n) => ({ email: `${n}@example.com`, passwordHash: 'x', displayName: n })))
      .returning({ id: users.id });
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('select 1 from users where id = $1 for update', [eve!.id]);
      let eveAnswered = false;
      const eveGrant = repository.openSession({ ...values, userId: eve!.id }).finally(() => {
        eveAnswered = true;
      });
      const started = Date.now();
      const fayGrant = await repository.openSession({ ...values, userId: fay!.id });
      expect(fayGrant).toEqual({ sessionId: expect.any(String), superseded: [] });
      expect(Date.now() - started).toBeLessThan(5_000); // the batch's second, not the blocker's time
      expect(eveAnswered).toBe(false); // still waiting for the account's lock, alone
      await blocker.query('commit');
      expect(await eveGrant).toEqual({ sessionId: expect.any(String), superseded: [] });
    } finally {
      await blocker.end();
    }
  });
});
