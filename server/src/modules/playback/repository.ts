import { and, asc, count, desc, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { PreparedQueries } from '../../platform/db/prepared.js';
import { rowsOf } from '../../platform/db/rows.js';
import { courses, lessons } from '../catalog/schema.js';
import { users } from '../users/schema.js';
import { videos } from '../videos/schema.js';
import { playbackSessions, videoCaptions } from './schema.js';

export type PlaybackSessionRow = typeof playbackSessions.$inferSelect;
export type PlaybackEndReason = NonNullable<PlaybackSessionRow['endReason']>;
export type CaptionRow = typeof videoCaptions.$inferSelect;

/** A lesson with what decides who may play it and what there is to play. */
export interface PlayableLesson {
  lesson: { id: string; courseId: string; type: 'video' | 'text' | 'attachment'; isFreePreview: boolean };
  course: { id: string; status: 'draft' | 'published' | 'archived'; takenDownAt: Date | null };
  video: {
    id: string;
    ownerId: string;
    version: string | null;
    durationSeconds: number | null;
    poster: { jpeg: string } | null;
    storyboard: { vtt: string } | null;
  } | null;
}

/** A video as the captions studio needs it. */
export interface CaptionedVideo {
  id: string;
  ownerId: string;
  status: string;
  durationSeconds: number | null;
}

/**
 * Playback sessions and captions. Everything here runs on the primary: a session just opened or
 * ended must count on the very next grant.
 */
export class PlaybackRepository {
  /** A grant's reads outside its transaction (statements inside one belong to its connection). */
  private readonly queries = new PreparedQueries();

  constructor(private readonly primary: Db) {}

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.primary.transaction((tx) => work(tx));
  }

  async playableLesson(lessonId: string): Promise<PlayableLesson | undefined> {
    const playable = this.queries.get('playable', (name) =>
      this.primary
        .select({
          lesson: {
            id: lessons.id,
            courseId: lessons.courseId,
            type: lessons.type,
            isFreePreview: lessons.isFreePreview,
          },
          course: { id: courses.id, status: courses.status, takenDownAt: courses.takenDownAt },
          videoId: videos.id,
          ownerId: videos.ownerId,
          version: videos.version,
          durationSeconds: videos.durationSeconds,
          poster: videos.poster,
          storyboard: videos.storyboard,
        })
        .from(lessons)
        .innerJoin(courses, eq(courses.id, lessons.courseId))
        .leftJoin(videos, eq(videos.id, lessons.videoId))
        .where(eq(lessons.id, sql.placeholder('lessonId')))
        .prepare(name),
    );
    const [row] = await playable.execute({ lessonId });
    if (!row) return undefined;
    const { lesson, course, videoId, ownerId, ...video } = row;
    return { lesson, course, video: videoId && ownerId ? { id: videoId, ownerId, ...video } : null };
  }

  /**
   * Makes one user's grants take turns until the transaction ends. Locking only their open
   * sessions is not enough: two first grants would both find none to lock and both pass the limit.
   * `no key update` leaves foreign-key checks of other writers (FOR KEY SHARE) unblocked.
   */
  async lockUser(tx: Db, userId: string): Promise<void> {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('no key update');
  }

  /**
   * Ends the user's sessions running at `now` beyond the `keep` most recently renewed, other than
   * `current`, in one statement (choosing and ending): the caller holds the user's lock
   * (lockUser), so this statement's snapshot, taken after it, sees every grant committed before.
   * Least recently renewed go first. Returns the ids it ended.
   */
  async endSessionsBeyond(
    tx: Db,
    userId: string,
    current: string,
    keep: number,
    now: Date,
    reason: PlaybackEndReason,
  ): Promise<string[]> {
    const running = tx
      .select({ id: playbackSessions.id })
      .from(playbackSessions)
      .where(
        and(
          eq(playbackSessions.userId, userId),
          isNull(playbackSessions.endedAt),
          gt(playbackSessions.expiresAt, now),
          ne(playbackSessions.id, current),
        ),
      )
      .orderBy(desc(playbackSessions.renewedAt), desc(playbackSessions.startedAt), desc(playbackSessions.id))
      .offset(Math.max(0, keep));
    const rows = await tx
      .update(playbackSessions)
      .set({ endedAt: now, endReason: reason })
      // Re-checked on each locked row: one ended meanwhile (a revocation) keeps its own reason.
      .where(and(inArray(playbackSessions.id, running), isNull(playbackSessions.endedAt)))
      .returning({ id: playbackSessions.id });
    return rows.map((r) => r.id);
  }

  async lockSession(tx: Db, sessionId: string): Promise<PlaybackSessionRow | undefined> {
    const [row] = await tx.select().from(playbackSessions).where(eq(playbackSessions.id, sessionId)).for('update');
    return row;
  }

  /** Sessions still open at `now` (granted, neither ended nor expired): the players running. */
  async countOpenSessions(now: Date): Promise<number> {
    const [row] = await this.primary
      .select({ n: count() })
      .from(playbackSessions)
      .where(and(isNull(playbackSessions.endedAt), gt(playbackSessions.expiresAt, now)));
    return row?.n ?? 0;
  }

  async session(sessionId: string): Promise<PlaybackSessionRow | undefined> {
    const [row] = await this.primary.select().from(playbackSessions).where(eq(playbackSessions.id, sessionId));
    return row;
  }

  /**
   * Takes the user's lock (as lockUser) and inserts a new session in the same statement: one round
   * trip instead of two on every new grant. Statements after it in the transaction see every grant
   * committed before the lock was granted.
   */
  async lockUserAndInsertSession(
    tx: Db,
    values: { userId: string; courseId: string; lessonId: string; videoId: string; at: Date; expiresAt: Date },
  ): Promise<{ id: string }> {
    const [row] = rowsOf<{ id: string }>(
      await tx.execute(sql`
        with locked as (select id from users where id = ${values.userId} for no key update)
        insert into playback_sessions (user_id, course_id, lesson_id, video_id, started_at, renewed_at, expires_at)
        select locked.id, ${values.courseId}, ${values.lessonId}, ${values.videoId}, ${values.at.toISOString()},
               ${values.at.toISOString()}, ${values.expiresAt.toISOString()}
        from locked
        returning id`),
    );
    // No row: the account was deleted while it asked (the caller's token was still valid).
    if (!row) throw new Error('inserting a playback session found no user row to lock');
    return row;
  }

  /** A renewal: the session now ends with the new grant, and may follow the lesson's current video. */
  async renewSession(tx: Db, sessionId: string, values: { videoId: string; at: Date; expiresAt: Date }): Promise<void> {
    await tx
      .update(playbackSessions)
      .set({ videoId: values.videoId, renewedAt: values.at, expiresAt: values.expiresAt })
      .where(eq(playbackSessions.id, sessionId));
  }

  /** Ends the given sessions that are still running; returns the ids it ended. */
  async endSessions(db: Db, ids: string[], reason: PlaybackEndReason, at: Date): Promise<string[]> {
    if (!ids.length) return [];
    const rows = await db
      .update(playbackSessions)
      .set({ endedAt: at, endReason: reason })
      .where(and(inArray(playbackSessions.id, ids), isNull(playbackSessions.endedAt)))
      .returning({ id: playbackSessions.id });
    return rows.map((r) => r.id);
  }

  /** Ends every unended session of the user in the course (their access to it is gone). */
  async endCourseSessions(userId: string, courseId: string, reason: PlaybackEndReason, at: Date): Promise<string[]> {
    const rows = await this.primary
      .update(playbackSessions)
      .set({ endedAt: at, endReason: reason })
      .where(
        and(
          eq(playbackSessions.userId, userId),
          eq(playbackSessions.courseId, courseId),
          isNull(playbackSessions.endedAt),
        ),
      )
      .returning({ id: playbackSessions.id });
    return rows.map((r) => r.id);
  }

  // ---- Captions ----

  async captionedVideo(videoId: string): Promise<CaptionedVideo | undefined> {
    const [row] = await this.primary
      .select({
        id: videos.id,
        ownerId: videos.ownerId,
        status: videos.status,
        durationSeconds: videos.durationSeconds,
      })
      .from(videos)
      .where(and(eq(videos.id, videoId), ne(videos.status, 'aborted')));
    return row;
  }

  async captionsOf(videoId: string): Promise<CaptionRow[]> {
    const captions = this.queries.get('captions', (name) =>
      this.primary
        .select()
        .from(videoCaptions)
        .where(eq(videoCaptions.videoId, sql.placeholder('videoId')))
        .orderBy(asc(videoCaptions.language))
        .prepare(name),
    );
    return captions.execute({ videoId });
  }

  async caption(videoId: string, captionId: string): Promise<CaptionRow | undefined> {
    const [row] = await this.primary
      .select()
      .from(videoCaptions)
      .where(and(eq(videoCaptions.videoId, videoId), eq(videoCaptions.id, captionId)));
    return row;
  }

  /**
   * Makes the caption the video's one for its language, in one statement: the row of an earlier
   * upload is replaced (new id, new key). Returns the new row and the key it replaced, if any.
   */
  async replaceCaption(
    values: Omit<typeof videoCaptions.$inferInsert, 'createdAt'>,
  ): Promise<{ row: CaptionRow; replacedKey: string | undefined }> {
    return this.transaction(async (tx) => {
      // Two uploads for one language take turns on the video's row instead of colliding on the unique key.
      await tx.select({ id: videos.id }).from(videos).where(eq(videos.id, values.videoId)).for('update');
      const [previous] = await tx
        .delete(videoCaptions)
        .where(and(eq(videoCaptions.videoId, values.videoId), eq(videoCaptions.language, values.language)))
        .returning({ storageKey: videoCaptions.storageKey });
      const [row] = await tx.insert(videoCaptions).values(values).returning();
      if (!row) throw new Error('inserting a caption returned no row');
      return { row, replacedKey: previous?.storageKey };
    });
  }

  async deleteCaption(videoId: string, captionId: string): Promise<CaptionRow | undefined> {
    const [row] = await this.primary
      .delete(videoCaptions)
      .where(and(eq(videoCaptions.videoId, videoId), eq(videoCaptions.id, captionId)))
      .returning();
    return row;
  }
}
