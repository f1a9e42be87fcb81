import { randomUUID } from 'node:crypto';
import type { CachePort } from '../../platform/cache/port.js';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import { coverImage, type CoverImage } from '../catalog/views.js';
import type { CourseAccessChecker } from '../enrollments/access.js';
import {
  coveredSeconds,
  isCoverageComplete,
  mergeIntervals,
  normalizeIntervals,
  playedSeconds,
  retentionCurve,
  type Interval,
} from './intervals.js';
import type { CourseCompletionListener } from './ports.js';
import type { LessonFacts, MergedProgress, ProgressRepository, ProgressWrite, SessionFacts } from './repository.js';
// Set by the playback module when it ends a session (superseded, access revoked).
import { endedSessionKey } from '../playback/service.js';

/**
 * How long a positive access answer is reused. The trade-off: a student whose enrollment is
 * revoked can go on sending heartbeats for at most this long (their progress is still recorded
 * for that minute); a new enrollment is never delayed, because only "yes" is cached.
 */
export const ACCESS_CACHE_SECONDS = 60;
/** Lesson type, course and duration; an instructor's new video is picked up within a minute. */
const LESSON_CACHE_SECONDS = 60;
/**
 * A buffer entry lives this long after the first report of its newest session. The flush runs
 * every minute; only a worker down for two days loses buffered progress.
 */
const BUFFER_TTL_SECONDS = 2 * 24 * 3600;
/**
 * The first report of a session has no previous report to measure wall time from. The player
 * reports every 10 s, so 15 s of wall time (× rate, + slack) holds any honest first report and
 * lets a made-up burst claim little: a session must also exist, belong to the caller and be for
 * this lesson, which the first report checks in the database.
 */
export const FIRST_REPORT_WINDOW_SECONDS = 15;
/** Network jitter and timer drift between the player's clock and ours. */
export const REPORT_SLACK_SECONDS = 2;
/** Reports may reach one second past the duration: players round the last frame's time up. */
const DURATION_TOLERANCE_SECONDS = 1;
export const FLUSH_BATCH_SIZE = 1_000;
/** Batches in flight at once in a flush (each holds one database connection while it writes). */
const FLUSH_CONCURRENCY = 3;
/**
 * A crashed flusher's lock frees itself after this, so the next run (a minute later) flushes what
 * it left. Renewed after every batch, so a long backlog keeps it; should a batch outlast it, two
 * flushes overlap, which is harmless (the merge is a union, see flush()).
 */
const FLUSH_LOCK_SECONDS = 15;
const CONTINUE_WATCHING_LIMIT = 6;

const DIRTY_KEY = 'progress:dirty';
const FLUSHING_KEY = 'progress:flushing';
const FLUSH_LOCK_KEY = 'progress:flush-lock';
const SESSION_FIELD = 's:';
const STORED_FIELD = 'db';

const bufferKey = (userId: string, lessonId: string) => `progress:buf:${userId}:${lessonId}`;
const lessonKey = (lessonId: string) => `progress:lesson:${lessonId}`;
/**
 * Per user and lesson rather than per course: the key is known before the lesson is read, so the
 * access answer comes in the same round of reads. Costs one access check per lesson a student
 * opens per minute instead of one per course.
 */
const accessKey = (userId: string, lessonId: string) => `progress:access:${userId}:${lessonId}`;

/** What one player session has reported for a lesson, as kept in the buffer. */
interface BufferedSession {
  /** The session's watched intervals, merged. */
  w: Interval[];
  /** Last position (s). */
  p: number;
  /** Playback rate. */
  r: number;
  /** When its last report arrived (ms since the epoch). */
  t: number;
}

/** The database's view of the lesson when the session started reporting: saves a read later. */
interface BufferedStored {
  w: Interval[];
  /** Completed already. */
  c: boolean;
}

export interface HeartbeatInput {
  sessionId: string;
  positionSeconds: number;
  watched: [number, number][];
  playbackRate: number;
  event: 'tick' | 'pause' | 'seek' | 'ended' | 'hidden';
}

export interface FlushResult {
  /** Buffer entries merged into lesson_progress. */
  entries: number;
  completedLessons: number;
  completedCourses: number;
}

export interface ProgressLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export type ProgressStore = Pick<
  ProgressRepository,
  | 'lesson'
  | 'session'
  | 'merge'
  | 'markOpened'
  | 'completedCourses'
  | 'courseLessons'
  | 'courseExists'
  | 'certificateCode'
  | 'continueWatching'
  | 'learningCourses'
  | 'courseOwner'
  | 'lessonOwner'
  | 'courseAnalytics'
  | 'watchedIntervals'
>;

export interface ProgressOptions {
  /** Base of certificate verification links. */
  publicUrl: string;
  /** Base of cover image URLs. */
  mediaBaseUrl: string;
  now?: () => number;
  log?: ProgressLog;
}

/** A cache call failed: the caller goes to the database instead. */
class CacheUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super('cache unavailable');
  }
}

const progressInvalid = (reason: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError(422, 'progress_invalid', message, { reason, ...details });
const sessionEnded = (reason: string | null) =>
  new AppError(409, 'playback_session_ended', 'This playback session has ended; start playing again.', {
    reason: reason ?? 'closed',
  });
const lessonNotFound = () => new AppError(404, 'lesson_not_found', 'No such lesson.');
const notEnrolled = () => new AppError(403, 'not_enrolled', 'Enroll in this course to track your progress.');

/**
 * Lesson progress: the player's heartbeats, buffered in the cache and flushed to PostgreSQL by a
 * job, the completion rule (90 % of a video covered by watched intervals; other lessons on open),
 * the student's own progress pages and the instructor's analytics.
 *
 * The buffer. Per user and lesson one cache hash `progress:buf:<user>:<lesson>` holds a field per
 * player session (its merged intervals, last position, rate, time of its last report) and, once
 * loaded, what the database held. Sessions write only their own field, so two tabs never
 * overwrite each other. After writing, the heartbeat marks `<user>:<lesson>` in the dirty hash.
 *
 * The flush moves the dirty hash aside with one atomic rename (new reports mark a fresh one),
 * reads the entries it names and merges them into lesson_progress with one upsert per batch, then
 * unmarks the batch. Entries are never deleted by the flush (they expire), and the database merge
 * is an interval union, so every race is harmless: an entry written after the rename is marked
 * again and flushed next time; a batch flushed twice (a crash before unmarking) changes nothing.
 */
export class ProgressService {
  private readonly now: () => number;

  constructor(
    private readonly store: ProgressStore,
    private readonly cache: CachePort,
    private readonly access: CourseAccessChecker,
    private readonly completions: CourseCompletionListener,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  // ---------------------------------------------------------------------------------------------
  // Heartbeats
  // ---------------------------------------------------------------------------------------------

  async heartbeat(actor: Actor, lessonId: string, input: HeartbeatInput): Promise<{ completed: boolean }> {
    try {
      return await this.bufferedHeartbeat(actor, lessonId, input);
    } catch (error) {
      if (!(error instanceof CacheUnavailable)) throw error;
      this.options.log?.warn({ err: error.cause, lessonId }, 'cache unavailable; progress written to the database');
      return this.directHeartbeat(actor, lessonId, input);
    }
  }

  /** The fast path: cache reads and two cache writes, no database query once a session reports. */
  private async bufferedHeartbeat(
    actor: Actor,
    lessonId: string,
    input: HeartbeatInput,
  ): Promise<{ completed: boolean }> {
    const now = this.now();
    const key = bufferKey(actor.userId, lessonId);
    // Everything a report needs in one round trip to Redis: the three values in one MGET (the lesson's
    // facts usually from this process's copy), the buffer entry beside it.
    const [[cachedLesson, allowed, ended], entry] = await this.cached(() =>
      Promise.all([
        this.cache.getMany([
          lessonKey(lessonId),
          accessKey(actor.userId, lessonId),
          endedSessionKey(input.sessionId),
        ]) as Promise<[LessonFacts | undefined, number | undefined, string | undefined]>,
        this.cache.hashGetAll(key),
      ]),
    );
    const lesson = cachedLesson ?? (await this.loadLesson(lessonId));
    if (!lesson) throw lessonNotFound();
    const previous = parse<BufferedSession>(entry[SESSION_FIELD + input.sessionId]);
    // A session's first report proves the session is the caller's, for this lesson, and open; that
    // query and the access check (when its "yes" is not cached) run at once, and their answers are
    // then judged in the order a caller is told: access, the report itself, the session.
    const [accessCheck, sessionCheck] = await Promise.allSettled([
      allowed ? Promise.resolve() : this.checkAccess(actor, lesson),
      previous ? Promise.resolve(undefined) : this.checkedSession(actor, lessonId, input.sessionId),
    ]);
    if (accessCheck.status === 'rejected') throw accessCheck.reason;
    const duration = videoDuration(lesson);
    const watched = this.validatedIntervals(input, duration);
    if (ended !== undefined) throw sessionEnded(ended);
    if (sessionCheck.status === 'rejected') throw sessionCheck.reason;

    const fields: Record<string, string> = {};
    let stored = parse<BufferedStored>(entry[STORED_FIELD]);
    const checked = sessionCheck.value;
    if (checked) {
      stored = { w: checked.stored?.watched ?? [], c: checked.stored?.completedAt != null };
      fields[STORED_FIELD] = JSON.stringify(stored);
    }
    const windowSeconds = previous ? Math.max(0, (now - previous.t) / 1000) : FIRST_REPORT_WINDOW_SECONDS;
    this.assertWallTime(watched, windowSeconds, Math.max(input.playbackRate, previous?.r ?? 0));

    const session: BufferedSession = {
      w: mergeIntervals(previous?.w ?? [], watched),
      p: Math.min(input.positionSeconds, duration),
      r: input.playbackRate,
      t: now,
    };
    fields[SESSION_FIELD + input.sessionId] = JSON.stringify(session);
    // The entry first, then the mark: a flush that sees the mark always finds what it marks. Both
    // are sent at once, in that order, on the cache's one connection: Redis runs a connection's
    // commands in the order they arrive, so the mark is never visible before the entry, and the
    // two writes cost one round trip. (Should the entry's write fail and the mark's succeed, the
    // flush finds nothing to write for it: harmless.) The expiry is set by a session's first report
    // only (one command less on every other report): an entry outliving it is simply started
    // again, the session checked anew.
    await this.cached(() =>
      Promise.all([
        this.cache.hashSet(key, fields, previous ? undefined : BUFFER_TTL_SECONDS),
        this.cache.hashSet(DIRTY_KEY, { [`${actor.userId}:${lessonId}`]: '1' }),
      ]),
    );

    if (stored?.c) return { completed: true };
    const sessions = Object.entries(entry)
      .filter(([field]) => field.startsWith(SESSION_FIELD) && field !== SESSION_FIELD + input.sessionId)
      .map(([, value]) => parse<BufferedSession>(value)?.w ?? []);
    return { completed: isCoverageComplete(mergeIntervals(stored?.w ?? [], session.w, ...sessions), duration) };
  }

  /** The cache is down: the same checks against the database, and the report merged straight in. */
  private async directHeartbeat(
    actor: Actor,
    lessonId: string,
    input: HeartbeatInput,
  ): Promise<{ completed: boolean }> {
    const now = this.now();
    const lesson = await this.store.lesson(lessonId);
    if (!lesson) throw lessonNotFound();
    if ((await this.access.accessOf(actor, lesson.courseId)) === 'none') throw notEnrolled();
    const duration = videoDuration(lesson);
    const watched = this.validatedIntervals(input, duration);
    const session = await this.checkedSession(actor, lessonId, input.sessionId);
    // Without the buffer the previous report of this session is not known; the stored row's last
    // update is (when this session wrote it). With two sessions at once this is stricter, never laxer.
    const previous = session.stored?.updatedAt.getTime();
    const windowSeconds =
      previous !== undefined && previous >= session.startedAt.getTime()
        ? Math.max(0, (now - previous) / 1000)
        : FIRST_REPORT_WINDOW_SECONDS;
    this.assertWallTime(watched, windowSeconds, input.playbackRate);
    const [merged] = await this.store.merge([
      {
        userId: actor.userId,
        lessonId,
        watched: mergeIntervals(watched),
        positionSeconds: Math.min(input.positionSeconds, duration),
        playbackRate: input.playbackRate,
        reportedAt: new Date(now),
      },
    ]);
    await this.announceCompletions(merged ? [merged] : []);
    return { completed: merged?.completedAt != null };
  }

  private validatedIntervals(input: HeartbeatInput, duration: number): Interval[] {
    const limit = duration + DURATION_TOLERANCE_SECONDS;
    if (input.positionSeconds > limit) {
      throw progressInvalid('outside_duration', 'The position is past the end of the video.', {
        durationSeconds: duration,
      });
    }
    for (const [start, end] of input.watched) {
      if (start > end || end > limit) {
        throw progressInvalid('outside_duration', 'A watched range is reversed or past the end of the video.', {
          durationSeconds: duration,
          range: [start, end],
        });
      }
    }
    return normalizeIntervals(input.watched, duration);
  }

  private assertWallTime(watched: Interval[], windowSeconds: number, rate: number): void {
    const played = playedSeconds(watched);
    const allowed = windowSeconds * rate + REPORT_SLACK_SECONDS;
    if (played > allowed) {
      throw progressInvalid(
        'more_than_wall_time',
        'More was reported watched than the time since the last report allows at this speed.',
        { playedSeconds: round(played), allowedSeconds: round(allowed) },
      );
    }
  }

  private async checkedSession(actor: Actor, lessonId: string, sessionId: string): Promise<SessionFacts> {
    const session = await this.store.session(sessionId);
    if (!session || session.userId !== actor.userId || session.lessonId !== lessonId) {
      throw progressInvalid('unknown_session', 'No playback session of yours for this lesson has this id.');
    }
    if (session.endedAt) throw sessionEnded(session.endReason);
    return session;
  }

  private async loadLesson(lessonId: string): Promise<LessonFacts | undefined> {
    const lesson = await this.store.lesson(lessonId);
    if (lesson) await this.cached(() => this.cache.set(lessonKey(lessonId), lesson, LESSON_CACHE_SECONDS));
    return lesson;
  }

  /** The one access check, its "yes" remembered for a minute (see ACCESS_CACHE_SECONDS). */
  private async checkAccess(actor: Actor, lesson: LessonFacts): Promise<void> {
    if ((await this.access.accessOf(actor, lesson.courseId)) === 'none') throw notEnrolled();
    await this.cached(() => this.cache.set(accessKey(actor.userId, lesson.lessonId), 1, ACCESS_CACHE_SECONDS));
  }

  private async cached<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new CacheUnavailable(error);
    }
  }

  /** A text or attachment lesson is complete once the student opens it. */
  async opened(actor: Actor, lessonId: string): Promise<void> {
    const lesson = await this.store.lesson(lessonId);
    if (!lesson) throw lessonNotFound();
    if ((await this.access.accessOf(actor, lesson.courseId)) === 'none') throw notEnrolled();
    if (lesson.type === 'video') {
      throw new AppError(409, 'lesson_is_video', 'A video lesson is complete when 90 % of it has been watched.');
    }
    const merged = await this.store.markOpened(actor.userId, lessonId, lesson.courseId, new Date(this.now()));
    await this.announceCompletions([merged]);
  }

  // ---------------------------------------------------------------------------------------------
  // Flush
  // ---------------------------------------------------------------------------------------------

  /** Moves every buffered report into lesson_progress. Safe to run concurrently and to retry. */
  async flush(options: { batchSize?: number } = {}): Promise<FlushResult> {
    const result: FlushResult = { entries: 0, completedLessons: 0, completedCourses: 0 };
    const lockToken = randomUUID();
    if (!(await this.cache.setIfAbsent(FLUSH_LOCK_KEY, lockToken, FLUSH_LOCK_SECONDS))) return result;
    const batchSize = options.batchSize ?? FLUSH_BATCH_SIZE;
    try {
      // What a crashed run left marked is finished first; then the live marks are taken.
      for (let round = 0; round < 2; round++) {
        await this.cache.renameIfAbsent(DIRTY_KEY, FLUSHING_KEY);
        const marked = Object.keys(await this.cache.hashGetAll(FLUSHING_KEY));
        if (marked.length === 0) break;
        const batches: string[][] = [];
        for (let i = 0; i < marked.length; i += batchSize) batches.push(marked.slice(i, i + batchSize));
        // A few batches at once: while one waits for the database, the next is read from the cache.
        // Each (user, lesson) is marked once, so concurrent batches never write the same row.
        await inBatches(batches, FLUSH_CONCURRENCY, async (batch) => {
          const writes = await this.readEntries(batch);
          const merged = await this.store.merge(writes);
          const announced = await this.announceCompletions(merged);
          // Only after the database has it: a crash before this line flushes the batch again, harmlessly.
          await this.cache.hashDelete(FLUSHING_KEY, ...batch);
          await this.cache.set(FLUSH_LOCK_KEY, lockToken, FLUSH_LOCK_SECONDS);
          result.entries += writes.length;
          result.completedLessons += merged.filter((m) => m.newlyCompleted).length;
          result.completedCourses += announced;
        });
      }
      return result;
    } finally {
      if ((await this.cache.get<string>(FLUSH_LOCK_KEY)) === lockToken) await this.cache.delete(FLUSH_LOCK_KEY);
    }
  }

  /**
   * The marked buffer entries as database writes, read in one exchange with the cache; an entry
   * that expired or holds nothing is skipped.
   */
  private async readEntries(marked: readonly string[]): Promise<ProgressWrite[]> {
    const pairs = marked.flatMap((field) => {
      const [userId, lessonId] = field.split(':');
      return userId && lessonId ? [{ userId, lessonId }] : [];
    });
    const entries = await this.cache.hashGetAllMany(pairs.map((p) => bufferKey(p.userId, p.lessonId)));
    return pairs.flatMap((p, i) => toWrite(p.userId, p.lessonId, entries[i]!) ?? []);
  }

  /**
   * For every lesson that a write just completed, checks whether its course is now complete and
   * tells the listener. Returns how many course completions were announced. A listener failure
   * is logged, not thrown: the lessons are already committed, and failing here would only make
   * the caller (a flush, a heartbeat) retry work that is done.
   */
  private async announceCompletions(merged: readonly MergedProgress[]): Promise<number> {
    const pairs = new Map<string, { userId: string; courseId: string }>();
    for (const m of merged) {
      if (m.newlyCompleted) pairs.set(`${m.userId}:${m.courseId}`, { userId: m.userId, courseId: m.courseId });
    }
    if (pairs.size === 0) return 0;
    const completed = await this.store.completedCourses([...pairs.values()]);
    for (const completion of completed) {
      try {
        await this.completions.courseCompleted(completion);
      } catch (error) {
        this.options.log?.error({ err: error, ...completion }, 'course completion listener failed');
      }
    }
    return completed.length;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading progress
  // ---------------------------------------------------------------------------------------------

  /** One course's progress for the caller, including reports not flushed yet (resume is exact). */
  async courseProgress(actor: Actor, courseId: string) {
    if ((await this.access.accessOf(actor, courseId)) === 'none') {
      if (!(await this.store.courseExists(courseId))) {
        throw new AppError(404, 'course_not_found', 'No such course.');
      }
      throw notEnrolled();
    }
    const rows = await this.store.courseLessons(actor.userId, courseId);
    const buffered = await this.bufferedEntries(
      actor.userId,
      rows.filter((r) => r.type === 'video').map((r) => r.lessonId),
    );
    let lastCompletedAt = 0;
    const lessons = rows.map((row) => {
      const entry = buffered.get(row.lessonId);
      const watched = mergeIntervals(row.watched, entry?.watched ?? []);
      const newest = entry && (!row.updatedAt || entry.reportedAt >= row.updatedAt) ? entry : undefined;
      const coveredNow = row.type === 'video' && isCoverageComplete(watched, row.durationSeconds);
      const completed = row.completedAt !== null || coveredNow;
      if (completed) {
        const at = row.completedAt?.getTime() ?? entry?.reportedAt.getTime() ?? this.now();
        lastCompletedAt = Math.max(lastCompletedAt, at);
      }
      return {
        lessonId: row.lessonId,
        completed,
        positionSeconds: newest ? newest.positionSeconds : row.positionSeconds,
        watchedSeconds: row.type === 'video' ? coveredSeconds(normalizeIntervals(watched, row.durationSeconds)) : 0,
        durationSeconds: row.durationSeconds,
      };
    });
    const completedLessons = lessons.filter((l) => l.completed).length;
    const totalLessons = lessons.length;
    const code = await this.store.certificateCode(actor.userId, courseId);
    return {
      courseId,
      completedLessons,
      totalLessons,
      percent: totalLessons ? Math.round((completedLessons / totalLessons) * 100) : 0,
      completedAt:
        totalLessons > 0 && completedLessons === totalLessons ? new Date(lastCompletedAt).toISOString() : null,
      certificate: code ? this.certificate(code) : null,
      lessons,
    };
  }

  /** "My learning": what to continue, and every enrolled course with its progress. */
  async myLearning(userId: string, page: number, pageSize: number) {
    const [recent, courses] = await Promise.all([
      this.store.continueWatching(userId, CONTINUE_WATCHING_LIMIT),
      this.store.learningCourses(userId, page, pageSize),
    ]);
    const buffered = await this.bufferedEntries(
      userId,
      recent.map((r) => r.lesson_id),
    );
    const media = this.options.mediaBaseUrl;
    return {
      continueWatching: recent.map((r) => {
        const entry = buffered.get(r.lesson_id);
        const updatedAt = new Date(r.updated_at);
        const fresher = entry && entry.reportedAt > updatedAt ? entry : undefined;
        return {
          courseId: r.course_id,
          courseSlug: r.course_slug,
          courseTitle: r.course_title,
          lessonId: r.lesson_id,
          lessonTitle: r.lesson_title,
          positionSeconds: fresher ? fresher.positionSeconds : r.last_position_seconds,
          durationSeconds: Number(r.duration),
          updatedAt: (fresher?.reportedAt ?? updatedAt).toISOString(),
          cover: coverImage(r.cover_key, r.course_title, media) as CoverImage | null,
        };
      }),
      courses: {
        items: courses.rows.map((r) => {
          const completedLessons = r.completed_lessons ?? 0;
          const done = r.total_lessons > 0 && completedLessons >= r.total_lessons;
          return {
            courseId: r.id,
            slug: r.slug,
            title: r.title,
            cover: coverImage(r.cover_key, r.title, media),
            completedLessons,
            totalLessons: r.total_lessons,
            percent: r.total_lessons ? Math.round((completedLessons / r.total_lessons) * 100) : 0,
            lastActivityAt: r.last_activity_at ? new Date(r.last_activity_at).toISOString() : null,
            completedAt: done && r.last_completed_at ? new Date(r.last_completed_at).toISOString() : null,
            certificate: r.certificate_code ? this.certificate(r.certificate_code) : null,
          };
        }),
        total: courses.total,
        page,
        pageSize,
      },
    };
  }

  private certificate(code: string) {
    return { code, url: `${this.options.publicUrl}/certificates/${code}` };
  }

  /** Buffered (unflushed) progress of a user on the given lessons; empty when the cache is down. */
  private async bufferedEntries(userId: string, lessonIds: string[]): Promise<Map<string, ProgressWrite>> {
    const found = new Map<string, ProgressWrite>();
    try {
      const entries = await Promise.all(lessonIds.map((id) => this.cache.hashGetAll(bufferKey(userId, id))));
      lessonIds.forEach((id, i) => {
        const write = toWrite(userId, id, entries[i]!);
        if (write) found.set(id, write);
      });
    } catch (error) {
      this.options.log?.warn({ err: error }, 'cache unavailable; progress shown as last flushed');
    }
    return found;
  }

  // ---------------------------------------------------------------------------------------------
  // Instructor analytics
  // ---------------------------------------------------------------------------------------------

  async courseAnalytics(actor: Actor, courseId: string) {
    const ownerId = await this.store.courseOwner(courseId);
    if (ownerId === undefined || !can(actor, 'course.update', { ownerId })) {
      throw new AppError(404, 'course_not_found', 'No such course.');
    }
    const stats = await this.store.courseAnalytics(courseId);
    return {
      students: stats.students,
      completedStudents: stats.completedStudents,
      lessons: stats.lessons.map((l) => ({
        lessonId: l.lesson_id,
        title: l.title,
        type: l.type,
        durationSeconds: Number(l.duration),
        viewers: l.viewers,
        completions: l.completions,
        completionRate: stats.students ? Math.min(1, l.completions / stats.students) : 0,
      })),
    };
  }

  async retention(actor: Actor, lessonId: string, points: number) {
    const lesson = await this.store.lessonOwner(lessonId);
    if (!lesson || !can(actor, 'course.update', { ownerId: lesson.instructorId })) throw lessonNotFound();
    const intervals = await this.store.watchedIntervals(lessonId, lesson.courseId);
    const curve = retentionCurve(intervals, lesson.durationSeconds, points);
    return { lessonId, durationSeconds: lesson.durationSeconds, viewers: curve.viewers, points: curve.points };
  }
}

/** The duration a heartbeat is checked against; only a video lesson with a ready video has one. */
function videoDuration(lesson: LessonFacts): number {
  if (lesson.type !== 'video') {
    throw new AppError(
      409,
      'lesson_not_video',
      'Only video lessons report watching progress; open the lesson instead.',
    );
  }
  if (!(lesson.durationSeconds > 0)) throw new AppError(409, 'video_not_ready', 'This lesson has no ready video yet.');
  return lesson.durationSeconds;
}

/** The union of a buffer entry's sessions, with the newest session's position and rate. */
function toWrite(userId: string, lessonId: string, entry: Record<string, string>): ProgressWrite | undefined {
  const sessions = Object.entries(entry)
    .filter(([field]) => field.startsWith(SESSION_FIELD))
    .map(([, value]) => parse<BufferedSession>(value))
    .filter((s): s is BufferedSession => s !== undefined && Array.isArray(s.w) && Number.isFinite(s.t));
  if (sessions.length === 0) return undefined;
  const newest = sessions.reduce((a, b) => (b.t > a.t ? b : a));
  return {
    userId,
    lessonId,
    watched: mergeIntervals(...sessions.map((s) => s.w)),
    positionSeconds: newest.p,
    playbackRate: newest.r,
    reportedAt: new Date(newest.t),
  };
}

/**
 * Runs `work` over `items`, at most `concurrency` at a time. After a failure no new item starts;
 * the first error is thrown once the ones in flight have settled (so none is left running).
 */
async function inBatches<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (!failure && next < items.length) {
        const item = items[next++]!;
        try {
          await work(item);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw failure.error;
}

function parse<T>(raw: string | undefined): T | undefined {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
