import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, primaryKey, real, timestamp, uuid } from 'drizzle-orm/pg-core';
import { courses, lessons } from '../catalog/schema.js';
import { users } from '../users/schema.js';

const at = (name: string) => timestamp(name, { withTimezone: true });

/** Sorted, non-overlapping [start, end] second ranges of a video that the student really played. */
export type WatchedIntervals = [number, number][];

/**
 * What one student has watched of one lesson. Written by the progress flush (every minute, in
 * batches) or directly when the cache is down; never by the heartbeat's fast path.
 */
export const lessonProgress = pgTable(
  'lesson_progress',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    lessonId: uuid('lesson_id')
      .notNull()
      .references(() => lessons.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    watched: jsonb('watched').$type<WatchedIntervals>().notNull().default([]),
    /** Seconds covered by `watched` (each second of the video counts once however often replayed). */
    watchedSeconds: real('watched_seconds').notNull().default(0),
    lastPositionSeconds: real('last_position_seconds').notNull().default(0),
    playbackRate: real('playback_rate').notNull().default(1),
    /** Set once: ≥ 90 % of a video covered, or a text/attachment lesson opened. */
    completedAt: at('completed_at'),
    startedAt: at('started_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.lessonId] }),
    index('lesson_progress_user_recent_idx').on(t.userId, t.updatedAt),
    index('lesson_progress_course_idx').on(t.courseId, t.lessonId),
    check('lesson_progress_nonnegative', sql`${t.watchedSeconds} >= 0 and ${t.lastPositionSeconds} >= 0`),
  ],
);
