import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { rowsOf } from '../../platform/db/rows.js';
import { courseSections, courses, lessons } from '../catalog/schema.js';
import { certificates } from '../certificates/schema.js';
import { playbackSessions } from '../playback/schema.js';
import { videos } from '../videos/schema.js';
import { COMPLETION_THRESHOLD, coveredSeconds, mergeIntervals, type Interval } from './intervals.js';
import { lessonProgress } from './schema.js';

export interface LessonFacts {
  lessonId: string;
  courseId: string;
  type: 'video' | 'text' | 'attachment';
  /** The ready video's exact duration, else the lesson's own; 0 when unknown. */
  durationSeconds: number;
}

export interface SessionFacts {
  userId: string;
  lessonId: string;
  startedAt: Date;
  endedAt: Date | null;
  endReason: string | null;
  /** What the database already holds of this user's progress on the session's lesson. */
  stored: { watched: Interval[]; completedAt: Date | null; updatedAt: Date } | null;
}

/** One user's buffered (or directly reported) progress on one lesson, merged into the stored row. */
export interface ProgressWrite {
  userId: string;
  lessonId: string;
  watched: Interval[];
  positionSeconds: number;
  playbackRate: number;
  /** When the newest report in this write was received. */
  reportedAt: Date;
}

export interface MergedProgress {
  userId: string;
  lessonId: string;
  courseId: string;
  completedAt: Date | null;
  /** This write set completed_at (it was null before the statement). */
  newlyCompleted: boolean;
}

export interface CourseLessonProgress {
  lessonId: string;
  type: 'video' | 'text' | 'attachment';
  durationSeconds: number;
  watched: Interval[];
  watchedSeconds: number;
  positionSeconds: number;
  completedAt: Date | null;
  updatedAt: Date | null;
}

/** The watched-interval union as SQL, over a jsonb array of [start, end] pairs. */
function mergedWatched(json: SQL): SQL {
  return sql`(
    select coalesce(jsonb_agg(jsonb_build_array(lower(r)::float8, upper(r)::float8) order by lower(r)), '[]'::jsonb) as watched,
           coalesce(sum(upper(r) - lower(r)), 0)::float8 as seconds
    from unnest((
      select range_agg(numrange((e->>0)::numeric, (e->>1)::numeric))
      from jsonb_array_elements(${json}) e
      where (e->>1)::numeric > (e->>0)::numeric
    )) r
  )`;
}

/** Duration the completion rule uses: the ready video's, else what the lesson says. */
const lessonDuration = sql`coalesce(vid.duration_seconds, l.duration_seconds)::float8`;
const readyVideoJoin = sql`left join videos vid on vid.id = l.video_id and vid.status = 'ready'`;
// A hair below the threshold: 36 of 40 s is exactly 90 %, and floats must not make it 89.999…%.
const THRESHOLD = sql.raw(String(COMPLETION_THRESHOLD - 1e-9));

/**
 * A PostgreSQL array literal (`{"a","b",NULL}`) for `unnest(${literal}::type[])`: a whole column
 * of a batch as ONE text parameter, parsed by each type's own input function, which is cheaper
 * than a JSON document of records and works the same on PGlite and node-postgres.
 */
function arrayLiteral(values: readonly (string | number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

export class ProgressRepository {
  constructor(
    private readonly db: Db,
    private readonly primary: Db,
  ) {}

  async lesson(lessonId: string): Promise<LessonFacts | undefined> {
    const [row] = await this.db
      .select({
        lessonId: lessons.id,
        courseId: lessons.courseId,
        type: lessons.type,
        lessonDuration: lessons.durationSeconds,
        videoDuration: videos.durationSeconds,
      })
      .from(lessons)
      .leftJoin(videos, and(eq(videos.id, lessons.videoId), eq(videos.status, 'ready')))
      .where(eq(lessons.id, lessonId));
    if (!row) return undefined;
    return {
      lessonId: row.lessonId,
      courseId: row.courseId,
      type: row.type,
      durationSeconds: row.videoDuration ?? row.lessonDuration,
    };
  }

  /** The session and, in the same query, the stored progress of its user on its lesson. */
  async session(sessionId: string): Promise<SessionFacts | undefined> {
    const [row] = await this.primary
      .select({
        userId: playbackSessions.userId,
        lessonId: playbackSessions.lessonId,
        startedAt: playbackSessions.startedAt,
        endedAt: playbackSessions.endedAt,
        endReason: playbackSessions.endReason,
        watched: lessonProgress.watched,
        completedAt: lessonProgress.completedAt,
        updatedAt: lessonProgress.updatedAt,
      })
      .from(playbackSessions)
      .leftJoin(
        lessonProgress,
        and(eq(lessonProgress.userId, playbackSessions.userId), eq(lessonProgress.lessonId, playbackSessions.lessonId)),
      )
      .where(eq(playbackSessions.id, sessionId));
    if (!row) return undefined;
    return {
      userId: row.userId,
      lessonId: row.lessonId,
      startedAt: row.startedAt,
      endedAt: row.endedAt,
      endReason: row.endReason,
      stored:
        row.updatedAt === null
          ? null
          : { watched: row.watched ?? [], completedAt: row.completedAt, updatedAt: row.updatedAt },
    };
  }

  /**
   * Merges many users' progress into lesson_progress in at most three statements whatever the
   * batch size, in one of two orders (see `readFirst`): either first an insert of the rows that do
   * not exist yet (no read needed: a first-time flush ends here), then for the rest one read of the
   * stored rows (and each lesson's course and duration), the interval union computed here and one
   * write; or that read and write alone, the write inserting any row the read did not find.
   * Existing rows get the union of their stored and the new intervals, the newest position, and
   * completed_at once the union covers 90 % of the lesson. Idempotent: merging the same write twice changes nothing. Rows for lessons
   * deleted meanwhile are skipped.
   *
   * Concurrent writers (the direct path while the cache is down, a second flusher after a lock
   * expired) never drop each other's intervals: the write updates a row only where its stored
   * intervals are still exactly what was read (checked on the locked row); any other row falls
   * through to an insert whose conflict computes the union in SQL on the locked row, as a single
   * statement did before. The union is only ever taken with what the row holds at that moment.
   * At most one write per (user, lesson), its intervals merged and within the lesson: the caller
   * (the buffer, the direct path) has normalised them.
   */
  async merge(writes: readonly ProgressWrite[]): Promise<MergedProgress[]> {
    if (writes.length === 0) return [];
    if (this.readFirst) {
      const { merged, existing } = await this.mergeExisting(writes);
      this.readFirst = existing * 2 >= writes.length;
      return merged;
    }
    const inserted = await this.insertNew(writes);
    this.readFirst = inserted.length * 2 < writes.length;
    if (inserted.length === writes.length) return inserted;
    const done = new Set(inserted.map((m) => `${m.userId}:${m.lessonId}`));
    const rest = inserted.length === 0 ? writes : writes.filter((w) => !done.has(`${w.userId}:${w.lessonId}`));
    return [...inserted, ...(await this.mergeExisting(rest)).merged];
  }

  /**
   * Which of merge()'s two orders the next batch takes, from what the last one found. Inserting
   * first suits a lesson's first minute (no row yet: one statement, no read); once most rows exist
   * (every later minute of watching) that insert finds every row taken and is wasted, so the read
   * comes first and new rows go through its write's insert. Both orders write the same rows.
   */
  private readFirst = false;

  /**
   * The writes whose row does not exist yet, inserted in one statement that needs no read first
   * (a first-time flush is mostly these). A row that exists (or appears meanwhile) is left alone
   * (DO NOTHING) and not returned: the caller merges it with what it holds.
   */
  private async insertNew(writes: readonly ProgressWrite[]): Promise<MergedProgress[]> {
    const column = <T extends string | number | null>(pick: (w: ProgressWrite) => T) => arrayLiteral(writes.map(pick));
    const duration = sql`greatest(0::float8, coalesce(${lessonDuration}, 0))`;
    const result = await this.primary.execute(sql`
      insert into lesson_progress as p
        (user_id, lesson_id, course_id, watched, watched_seconds, last_position_seconds, playback_rate,
         completed_at, started_at, updated_at)
      select v.user_id, v.lesson_id, l.course_id, v.watched, v.seconds,
             greatest(0::float8, least(v.position, ${duration})), v.rate,
             case when ${duration} > 0 and v.seconds >= ${THRESHOLD} * ${duration} then v.reported_at end,
             v.reported_at, v.reported_at
      from unnest(
        ${column((w) => w.userId)}::uuid[], ${column((w) => w.lessonId)}::uuid[],
        ${column((w) => JSON.stringify(w.watched))}::jsonb[], ${column((w) => coveredSeconds(w.watched))}::float8[],
        ${column((w) => w.positionSeconds)}::float8[], ${column((w) => w.playbackRate)}::float8[],
        ${column((w) => w.reportedAt.toISOString())}::timestamptz[]
      ) as v(user_id, lesson_id, watched, seconds, position, rate, reported_at)
      join lessons l on l.id = v.lesson_id
      ${readyVideoJoin}
      on conflict (user_id, lesson_id) do nothing
      returning p.user_id, p.lesson_id, p.course_id, p.completed_at`);
    return rowsOf<{ user_id: string; lesson_id: string; course_id: string; completed_at: Date | string | null }>(
      result,
    ).map((r) => {
      const completedAt = r.completed_at === null ? null : new Date(r.completed_at);
      return {
        userId: r.user_id,
        lessonId: r.lesson_id,
        courseId: r.course_id,
        completedAt,
        newlyCompleted: completedAt !== null,
      };
    });
  }

  /**
   * Reads the stored rows, computes the union here, writes it (see merge()); a row not found is
   * inserted by the same write. `existing` counts the rows the read found.
   */
  private async mergeExisting(
    writes: readonly ProgressWrite[],
  ): Promise<{ merged: MergedProgress[]; existing: number }> {
    if (writes.length === 0) return { merged: [], existing: 0 };
    const stored = rowsOf<{
      i: number;
      course_id: string;
      duration: number | string | null;
      tid: string | null;
      watched: Interval[] | null;
      completed: boolean | null;
    }>(
      await this.primary.execute(sql`
        select v.i, l.course_id, ${lessonDuration} as duration, p.tid, p.watched, p.completed
        from unnest(${arrayLiteral(writes.map((_, i) => i))}::int[], ${arrayLiteral(writes.map((w) => w.userId))}::uuid[],
                    ${arrayLiteral(writes.map((w) => w.lessonId))}::uuid[]) as v(i, user_id, lesson_id)
        join lessons l on l.id = v.lesson_id
        ${readyVideoJoin}
        -- LIMIT keeps this a primary-key lookup per row: joined plainly, once a batch is a few percent
        -- of the table the planner hashes the whole table (a scan per batch, quadratic over a flush).
        left join lateral (
          select q.ctid::text as tid, q.watched, q.completed_at is not null as completed from lesson_progress q
          where q.user_id = v.user_id and q.lesson_id = v.lesson_id limit 1
        ) p on true`),
    );
    if (stored.length === 0) return { merged: [], existing: 0 };
    const previouslyCompleted = new Set<number>();
    const tids = stored.flatMap((row) => (row.tid === null ? [] : [row.tid]));
    const input = stored.map((row) => {
      const w = writes[row.i]!;
      const duration = Math.max(0, Number(row.duration ?? 0));
      const existing = row.tid === null ? undefined : { watched: row.watched ?? [] };
      if (row.completed) previouslyCompleted.add(row.i);
      const watched = existing ? mergeIntervals(existing.watched, w.watched) : w.watched;
      const seconds = coveredSeconds(watched);
      return {
        i: row.i,
        user_id: w.userId,
        lesson_id: w.lessonId,
        course_id: row.course_id,
        watched,
        seconds,
        position: Math.max(0, Math.min(w.positionSeconds, duration)),
        rate: w.playbackRate,
        // completed_at is kept once set (coalesce below); this is only the candidate for a new one.
        completed_at:
          duration > 0 && seconds >= (COMPLETION_THRESHOLD - 1e-9) * duration ? w.reportedAt.toISOString() : null,
        reported_at: w.reportedAt.toISOString(),
        // The stored intervals this union was computed from; null for a row that did not exist.
        expected: existing ? existing.watched : null,
      };
    });
    const column = <T extends string | number | null>(pick: (row: (typeof input)[number]) => T) =>
      arrayLiteral(input.map(pick));
    const result = await this.primary.execute(sql`
      with input as (
        select * from unnest(
          ${column((r) => r.i)}::int[], ${column((r) => r.user_id)}::uuid[], ${column((r) => r.lesson_id)}::uuid[],
          ${column((r) => r.course_id)}::uuid[], ${column((r) => JSON.stringify(r.watched))}::jsonb[],
          ${column((r) => r.seconds)}::float8[], ${column((r) => r.position)}::float8[], ${column((r) => r.rate)}::float8[],
          ${column((r) => r.completed_at)}::timestamptz[], ${column((r) => r.reported_at)}::timestamptz[],
          ${column((r) => (r.expected === null ? null : JSON.stringify(r.expected)))}::jsonb[]
        ) as v(i, user_id, lesson_id, course_id, watched, seconds, position, rate, completed_at, reported_at, expected)
      ),
      -- The common case: the row still holds what was read (re-checked on the locked row), so the
      -- union computed from it is the union with the row.
      updated as (
        update lesson_progress p set
          watched = i.watched,
          watched_seconds = i.seconds,
          completed_at = coalesce(p.completed_at, i.completed_at),
          -- A late retry of an older buffer must not move the resume point back.
          last_position_seconds = case when i.reported_at >= p.updated_at then i.position else p.last_position_seconds end,
          playback_rate = case when i.reported_at >= p.updated_at then i.rate else p.playback_rate end,
          updated_at = greatest(p.updated_at, i.reported_at)
        from input i
        -- The rows read above, by their physical address: a row changed since then has moved, and
        -- (like one whose intervals differ) is left to the insert below.
        where p.ctid = any(${arrayLiteral(tids)}::tid[])
          and p.user_id = i.user_id and p.lesson_id = i.lesson_id and p.watched = i.expected
        returning i.i, p.user_id, p.lesson_id, p.completed_at
      ),
      -- New rows, and rows another writer changed since the read: their union is computed here, in
      -- SQL, on the locked row.
      inserted as (
        insert into lesson_progress as p
          (user_id, lesson_id, course_id, watched, watched_seconds, last_position_seconds, playback_rate,
           completed_at, started_at, updated_at)
        select i.user_id, i.lesson_id, i.course_id, i.watched, i.seconds, i.position, i.rate, i.completed_at,
               i.reported_at, i.reported_at
        from input i
        where not exists (select 1 from updated u where u.i = i.i)
        on conflict (user_id, lesson_id) do update set
          (watched, watched_seconds, completed_at) = (
            select m.watched, m.seconds,
                   coalesce(p.completed_at, excluded.completed_at,
                            case when d.duration > 0 and m.seconds >= ${THRESHOLD} * d.duration
                                 then excluded.updated_at end)
            from ${mergedWatched(sql`p.watched || excluded.watched`)} m,
                 (select ${lessonDuration} as duration from lessons l ${readyVideoJoin} where l.id = excluded.lesson_id) d
          ),
          last_position_seconds = case when excluded.updated_at >= p.updated_at
                                       then excluded.last_position_seconds else p.last_position_seconds end,
          playback_rate = case when excluded.updated_at >= p.updated_at
                               then excluded.playback_rate else p.playback_rate end,
          updated_at = greatest(p.updated_at, excluded.updated_at)
        returning p.user_id, p.lesson_id, p.completed_at
      )
      select u.user_id, u.lesson_id, u.completed_at from updated u
      union all
      select x.user_id, x.lesson_id, x.completed_at from inserted x`);
    const byKey = new Map(input.map((row) => [`${row.user_id}:${row.lesson_id}`, row]));
    const rows = rowsOf<{ user_id: string; lesson_id: string; completed_at: Date | string | null }>(result);
    const merged = rows.map((r): MergedProgress => {
      const row = byKey.get(`${r.user_id}:${r.lesson_id}`)!;
      const completedAt = r.completed_at === null ? null : new Date(r.completed_at);
      return {
        userId: row.user_id,
        lessonId: row.lesson_id,
        courseId: row.course_id,
        completedAt,
        newlyCompleted: completedAt !== null && !previouslyCompleted.has(row.i),
      };
    });
    return { merged, existing: tids.length };
  }

  /** A text or attachment lesson is complete once opened. */
  async markOpened(userId: string, lessonId: string, courseId: string, at: Date): Promise<MergedProgress> {
    const result = await this.primary.execute(sql`
      with previous as (
        select completed_at from lesson_progress where user_id = ${userId} and lesson_id = ${lessonId}
      ),
      upserted as (
        insert into lesson_progress as p (user_id, lesson_id, course_id, completed_at, started_at, updated_at)
        values (${userId}, ${lessonId}, ${courseId}, ${at.toISOString()}, ${at.toISOString()}, ${at.toISOString()})
        on conflict (user_id, lesson_id) do update set
          completed_at = coalesce(p.completed_at, excluded.completed_at),
          updated_at = greatest(p.updated_at, excluded.updated_at)
        returning p.completed_at
      )
      select u.completed_at, (select completed_at from previous) is null as newly_completed from upserted u`);
    const [row] = rowsOf<{ completed_at: Date | string; newly_completed: boolean }>(result);
    return {
      userId,
      lessonId,
      courseId,
      completedAt: new Date(row!.completed_at),
      newlyCompleted: row!.newly_completed,
    };
  }

  /** Of the given (user, course) pairs, those where the user has completed every lesson. */
  async completedCourses(
    pairs: readonly { userId: string; courseId: string }[],
  ): Promise<{ userId: string; courseId: string; completedAt: Date }[]> {
    if (pairs.length === 0) return [];
    const input = JSON.stringify(pairs.map((p) => ({ user_id: p.userId, course_id: p.courseId })));
    const result = await this.primary.execute(sql`
      select p.user_id, p.course_id, max(p.completed_at) as completed_at
      from (select distinct user_id, course_id from json_to_recordset(${input}::json) as v(user_id uuid, course_id uuid)) v
      join lesson_progress p on p.user_id = v.user_id and p.course_id = v.course_id and p.completed_at is not null
      group by p.user_id, p.course_id
      having count(*) = (select count(*) from lessons l where l.course_id = p.course_id)`);
    return rowsOf<{ user_id: string; course_id: string; completed_at: Date | string }>(result).map((r) => ({
      userId: r.user_id,
      courseId: r.course_id,
      completedAt: new Date(r.completed_at),
    }));
  }

  /** Every lesson of the course in curriculum order, with the user's stored progress. */
  async courseLessons(userId: string, courseId: string): Promise<CourseLessonProgress[]> {
    const rows = await this.primary
      .select({
        lessonId: lessons.id,
        type: lessons.type,
        lessonDuration: lessons.durationSeconds,
        videoDuration: videos.durationSeconds,
        watched: lessonProgress.watched,
        watchedSeconds: lessonProgress.watchedSeconds,
        positionSeconds: lessonProgress.lastPositionSeconds,
        completedAt: lessonProgress.completedAt,
        updatedAt: lessonProgress.updatedAt,
      })
      .from(lessons)
      .innerJoin(courseSections, eq(courseSections.id, lessons.sectionId))
      .leftJoin(videos, and(eq(videos.id, lessons.videoId), eq(videos.status, 'ready')))
      .leftJoin(lessonProgress, and(eq(lessonProgress.lessonId, lessons.id), eq(lessonProgress.userId, userId)))
      .where(eq(lessons.courseId, courseId))
      .orderBy(asc(courseSections.position), asc(lessons.position));
    return rows.map((r) => ({
      lessonId: r.lessonId,
      type: r.type,
      durationSeconds: r.videoDuration ?? r.lessonDuration,
      watched: r.watched ?? [],
      watchedSeconds: r.watchedSeconds ?? 0,
      positionSeconds: r.positionSeconds ?? 0,
      completedAt: r.completedAt,
      updatedAt: r.updatedAt,
    }));
  }

  async courseExists(courseId: string): Promise<boolean> {
    const [row] = await this.db.select({ id: courses.id }).from(courses).where(eq(courses.id, courseId));
    return row !== undefined;
  }

  async certificateCode(userId: string, courseId: string): Promise<string | null> {
    const [row] = await this.primary
      .select({ code: certificates.code })
      .from(certificates)
      .where(and(eq(certificates.userId, userId), eq(certificates.courseId, courseId)));
    return row?.code ?? null;
  }

  /** Unfinished video lessons the user watched most recently, in courses they may still watch. */
  async continueWatching(userId: string, limit: number) {
    const result = await this.primary.execute(sql`
      select p.course_id, c.slug as course_slug, c.title as course_title, c.cover_key,
             p.lesson_id, l.title as lesson_title, p.last_position_seconds, p.updated_at,
             ${lessonDuration} as duration
      from lesson_progress p
      join lessons l on l.id = p.lesson_id and l.type = 'video'
      ${readyVideoJoin}
      join courses c on c.id = p.course_id
      where p.user_id = ${userId} and p.completed_at is null
        and (c.instructor_id = ${userId} or exists (
          select 1 from enrollments e where e.user_id = ${userId} and e.course_id = c.id and e.status = 'active'))
      order by p.updated_at desc
      limit ${limit}`);
    return rowsOf<{
      course_id: string;
      course_slug: string;
      course_title: string;
      cover_key: string | null;
      lesson_id: string;
      lesson_title: string;
      last_position_seconds: number;
      updated_at: Date | string;
      duration: number;
    }>(result);
  }

  /** The user's active enrollments with their progress, most recently active first. */
  async learningCourses(userId: string, page: number, pageSize: number) {
    const [count] = rowsOf<{ total: number | string }>(
      await this.primary.execute(sql`
        select count(*) as total from enrollments where user_id = ${userId} and status = 'active'`),
    );
    const result = await this.primary.execute(sql`
      select c.id, c.slug, c.title, c.cover_key, cert.code as certificate_code, e.created_at as enrolled_at,
             (select count(*) from lessons l where l.course_id = c.id)::int as total_lessons,
             agg.completed_lessons, agg.last_activity_at, agg.last_completed_at
      from enrollments e
      join courses c on c.id = e.course_id
      left join certificates cert on cert.user_id = e.user_id and cert.course_id = c.id
      left join lateral (
        select count(p.completed_at)::int as completed_lessons, max(p.updated_at) as last_activity_at,
               max(p.completed_at) as last_completed_at
        from lesson_progress p where p.user_id = e.user_id and p.course_id = c.id
      ) agg on true
      where e.user_id = ${userId} and e.status = 'active'
      order by coalesce(agg.last_activity_at, e.created_at) desc, c.id
      limit ${pageSize} offset ${(page - 1) * pageSize}`);
    return {
      total: Number(count?.total ?? 0),
      rows: rowsOf<{
        id: string;
        slug: string;
        title: string;
        cover_key: string | null;
        certificate_code: string | null;
        total_lessons: number;
        completed_lessons: number | null;
        last_activity_at: Date | string | null;
        last_completed_at: Date | string | null;
      }>(result),
    };
  }

  async courseOwner(courseId: string): Promise<string | undefined> {
    const [row] = await this.db
      .select({ instructorId: courses.instructorId })
      .from(courses)
      .where(eq(courses.id, courseId));
    return row?.instructorId;
  }

  async lessonOwner(lessonId: string): Promise<(LessonFacts & { instructorId: string }) | undefined> {
    const facts = await this.lesson(lessonId);
    if (!facts) return undefined;
    const owner = await this.courseOwner(facts.courseId);
    return owner === undefined ? undefined : { ...facts, instructorId: owner };
  }

  /** Per-lesson viewers and completions among the course's actively enrolled students. */
  async courseAnalytics(courseId: string) {
    const [totals] = rowsOf<{ students: number; completed_students: number }>(
      await this.db.execute(sql`
        with students as (
          select user_id from enrollments where course_id = ${courseId} and status = 'active'
        ), total as (
          select count(*)::int as n from lessons where course_id = ${courseId}
        )
        select (select count(*)::int from students) as students,
               (select count(*)::int from (
                  select s.user_id from students s
                  join lesson_progress p on p.user_id = s.user_id and p.course_id = ${courseId}
                                        and p.completed_at is not null
                  group by s.user_id
                  having count(*) = (select n from total) and (select n from total) > 0
               ) done) as completed_students`),
    );
    const lessonRows = rowsOf<{
      lesson_id: string;
      title: string;
      type: 'video' | 'text' | 'attachment';
      duration: number;
      viewers: number;
      completions: number;
    }>(
      await this.db.execute(sql`
        select l.id as lesson_id, l.title, l.type, ${lessonDuration} as duration,
               count(p.user_id) filter (where p.watched_seconds > 0 or p.completed_at is not null)::int as viewers,
               count(p.completed_at)::int as completions
        from lessons l
        join course_sections s on s.id = l.section_id
        ${readyVideoJoin}
        left join lesson_progress p on p.lesson_id = l.id and exists (
          select 1 from enrollments e where e.user_id = p.user_id and e.course_id = l.course_id and e.status = 'active')
        where l.course_id = ${courseId}
        group by l.id, s.position, vid.duration_seconds
        order by s.position, l.position`),
    );
    return { students: totals?.students ?? 0, completedStudents: totals?.completed_students ?? 0, lessons: lessonRows };
  }

  /** The watched intervals of every actively enrolled student who watched some of the lesson. */
  async watchedIntervals(lessonId: string, courseId: string): Promise<Interval[][]> {
    const rows = rowsOf<{ watched: Interval[] }>(
      await this.db.execute(sql`
        select p.watched from lesson_progress p
        join enrollments e on e.user_id = p.user_id and e.course_id = ${courseId} and e.status = 'active'
        where p.lesson_id = ${lessonId} and p.watched_seconds > 0`),
    );
    return rows.map((r) => r.watched);
  }
}
