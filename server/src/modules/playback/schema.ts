import { index, integer, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { courses, lessons } from '../catalog/schema.js';
import { users } from '../users/schema.js';
import { videos } from '../videos/schema.js';

const at = (name: string) => timestamp(name, { withTimezone: true });

/** Why a playback session stopped before its grant ran out. */
export const playbackEndReason = pgEnum('playback_end_reason', ['superseded', 'access_revoked', 'closed']);

/**
 * One player watching one lesson. A grant opens (or renews) a session; beyond the account's limit
 * the oldest open session is ended, and its next renewal or progress report is refused.
 */
export const playbackSessions = pgTable(
  'playback_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    lessonId: uuid('lesson_id')
      .notNull()
      .references(() => lessons.id, { onDelete: 'cascade' }),
    videoId: uuid('video_id')
      .notNull()
      .references(() => videos.id, { onDelete: 'cascade' }),
    startedAt: at('started_at').notNull().defaultNow(),
    renewedAt: at('renewed_at').notNull().defaultNow(),
    /** When the newest grant of this session expires. */
    expiresAt: at('expires_at').notNull(),
    endedAt: at('ended_at'),
    endReason: playbackEndReason('end_reason'),
  },
  (t) => [
    index('playback_sessions_user_open_idx').on(t.userId, t.endedAt, t.renewedAt),
    index('playback_sessions_lesson_idx').on(t.lessonId),
  ],
);

/** Instructor-uploaded subtitles of a video, stored as WebVTT (SRT is converted on upload). */
export const videoCaptions = pgTable(
  'video_captions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    videoId: uuid('video_id')
      .notNull()
      .references(() => videos.id, { onDelete: 'cascade' }),
    /** BCP 47 tag such as `ko`, `en`, `pt-BR`. */
    language: text('language').notNull(),
    label: text('label').notNull(),
    /** Key in videos-processed: `<videoId>/captions/<id>.vtt`, under the video's signed prefix. */
    storageKey: text('storage_key').notNull(),
    sourceFormat: text('source_format', { enum: ['vtt', 'srt'] }).notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    cueCount: integer('cue_count').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('video_captions_video_language_key').on(t.videoId, t.language)],
);
