import { and, asc, count, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { PreparedQueries } from '../../platform/db/prepared.js';
import { rowsOf } from '../../platform/db/rows.js';
import { courses, lessons } from '../catalog/schema.js';
import { videos } from '../videos/schema.js';
import { playbackSessions, videoCaptions } from './schema.js';

export type PlaybackSessionRow = typeof playbackSessions.$inferSelect;
export type PlaybackEndReason = NonNullable<PlaybackSessionRow['endReason']>;
export type CaptionRow = typeof videoCaptions.$inferSelect;

/** What opening or renewing a session came to (see PlaybackRepository.openSession). */
export type OpenedSession =
  | { sessionId: string; superseded: string[]; refusal?: undefined }
  | { refusal: 'not_found' }
  | { refusal: 'ended'; reason: PlaybackEndReason | null };

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
    /** Its caption tracks by language: read in the same statement, a grant lists them all. */
    captions: { id: string; language: string; label: string }[];
  } | null;
}

type PlayableCaption = NonNullable<PlayableLesson['video']>['captions'][number];

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
          captions: sql<PlayableCaption[] | null>`(
            select json_agg(json_build_object('id', c.id, 'language', c.language, 'label', c.label)
                            order by c.language)
            from ${videoCaptions} c where c.video_id = ${videos.id})`,
        })
        .from(lessons)
        .innerJoin(courses, eq(courses.id, lessons.courseId))
        .leftJoin(videos, eq(videos.id, lessons.videoId))
        .where(eq(lessons.id, sql.placeholder('lessonId')))
        .prepare(name),
    );
    const [row] = await playable.execute({ lessonId });
    if (!row) return undefined;
    const { lesson, course, videoId, ownerId, captions, ...video } = row;
    return {
      lesson,
      course,
      video: videoId && ownerId ? { id: videoId, ownerId, ...video, captions: captions ?? [] } : null,
    };
  }

  /**
   * Opens a session, or renews `renewing`, and ends the user's running sessions beyond the `keep`
   * most recently renewed others: one call of the `playback_open_session` function (migration
   * 0010, which says why it is safe), so one round trip and one implicit transaction. The user's
   * row lock makes their grants take turns: locking only their open sessions would not be enough,
   * since two first grants would both find none to lock and both pass the limit.
   */
  async openSession(values: {
    userId: string;
    courseId: string;
    lessonId: string;
    videoId: string;
    at: Date;
    expiresAt: Date;
    keep: number;
    renewing?: string;
  }): Promise<OpenedSession> {
    const [row] = rowsOf<{
      session: string | null;
      refusal: 'no_user' | 'not_found' | 'ended' | null;
      ended_reason: PlaybackEndReason | null;
      superseded: string[];
    }>(
      await this.primary.execute(sql`
        select * from playback_open_session(${values.userId}::uuid, ${values.courseId}::uuid,
          ${values.lessonId}::uuid, ${values.videoId}::uuid, ${values.at.toISOString()}::timestamptz,
          ${values.expiresAt.toISOString()}::timestamptz, ${values.keep}::integer, ${values.renewing ?? null}::uuid)`),
    );
    if (!row) throw new Error('playback_open_session answered no row');
    if (row.refusal === 'no_user') {
      // The account was deleted while it asked (the caller's token was still valid).
      throw new Error('opening a playback session found no user row to lock');
    }
    if (row.refusal === 'not_found') return { refusal: 'not_found' };
    if (row.refusal === 'ended') return { refusal: 'ended', reason: row.ended_reason };
    return { sessionId: row.session!, superseded: row.superseded };
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
