import { and, asc, count, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { Batcher, batchedReader } from '../../platform/db/batcher.js';
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

export interface OpenSessionValues {
  userId: string;
  courseId: string;
  lessonId: string;
  videoId: string;
  at: Date;
  expiresAt: Date;
  /** How many of the user's other running sessions may stay open. */
  keep: number;
  /** The session to renew; a new one is opened without it. */
  renewing?: string | undefined;
}

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

interface OpenSessionRow {
  session: string | null;
  refusal: 'no_user' | 'not_found' | 'ended' | null;
  ended_reason: PlaybackEndReason | null;
  superseded: string[];
}

/** A row of the session functions as an answer; an Error for what only a bug or a race explains. */
function openedSession(row: OpenSessionRow | undefined): OpenedSession | Error {
  if (!row) return new Error('the playback session function answered no row for a grant');
  // The account was deleted while it asked (the caller's token was still valid).
  if (row.refusal === 'no_user') return new Error('opening a playback session found no user row to lock');
  if (row.refusal === 'not_found') return { refusal: 'not_found' };
  if (row.refusal === 'ended') return { refusal: 'ended', reason: row.ended_reason };
  return { sessionId: row.session!, superseded: row.superseded };
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

  /**
   * The lesson, its course and its video as a grant needs them. The reads of grants arriving
   * together go as one statement (see Batcher): each statement is parsed and planned afresh (an
   * unnamed statement, see PreparedQueries), and planning this join cost PostgreSQL more than
   * running it.
   */
  playableLesson(lessonId: string): Promise<PlayableLesson | undefined> {
    return this.lessonReader(lessonId);
  }

  private readonly lessonReader = batchedReader((ids: string[]) => this.playableLessons(ids));

  private async playableLessons(lessonIds: string[]): Promise<(PlayableLesson | undefined)[]> {
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
        // The ids as one JSON parameter: the same text on both drivers, and = ANY keeps the
        // primary-key lookups (an IN over the JSON's rows could be planned as a hash join).
        .where(
          sql`${lessons.id} = any (array(select jsonb_array_elements_text(${sql.placeholder('ids')}::jsonb)::uuid))`,
        )
        .prepare(name),
    );
    const rows = await playable.execute({ ids: JSON.stringify(lessonIds) });
    const byId = new Map(
      rows.map(({ lesson, course, videoId, ownerId, captions, ...video }): [string, PlayableLesson] => [
        lesson.id,
        {
          lesson,
          course,
          video: videoId && ownerId ? { id: videoId, ownerId, ...video, captions: captions ?? [] } : null,
        },
      ]),
    );
    // PostgreSQL answers ids in lower case whatever case they were asked in.
    return lessonIds.map((id) => byId.get(id.toLowerCase()));
  }

  /**
   * Opens a session, or renews `renewing`, and ends the user's running sessions beyond the `keep`
   * most recently renewed others. Grants arriving together go in one call of the
   * `playback_open_sessions` function (migration 0013, which says why it is safe): one round trip
   * and one transaction for the lot. The user's row lock makes their grants take turns: locking
   * only their open sessions would not be enough, since two first grants would both find none to
   * lock and both pass the limit.
   */
  openSession(values: OpenSessionValues): Promise<OpenedSession> {
    return this.opener.call(values);
  }

  private readonly opener = new Batcher<OpenSessionValues, OpenedSession>(
    (batch) => this.openSessions(batch),
    // A grant retried alone (its batch failed, or gave up waiting for a lock) waits as long as it
    // takes, on its own connection.
    (one) => this.openSessionAlone(one),
    // One batch out per process: the grants that arrive meanwhile make the next one larger, and
    // larger batches are what saves PostgreSQL's work (docs/design/performance.md §18).
    { maxBatch: 32, maxInFlight: 1 },
  );

  /** One call for the batch; rejects only if the call failed (its transaction then kept nothing). */
  private async openSessions(batch: OpenSessionValues[]): Promise<(OpenedSession | Error)[]> {
    const grants = batch.map((v, i) => ({
      i,
      user: v.userId,
      course: v.courseId,
      lesson: v.lessonId,
      video: v.videoId,
      at: v.at.toISOString(),
      expires_at: v.expiresAt.toISOString(),
      keep: v.keep,
      renewing: v.renewing ?? null,
    }));
    const rows = rowsOf<OpenSessionRow & { i: number }>(
      await this.primary.execute(sql`select * from playback_open_sessions(${JSON.stringify(grants)}::jsonb)`),
    );
    const byIndex = new Map(rows.map((row) => [row.i, row]));
    return batch.map((_, i) => openedSession(byIndex.get(i)));
  }

  /** One grant in one call of `playback_open_session` (migration 0010, its body since 0013). */
  private async openSessionAlone(v: OpenSessionValues): Promise<OpenedSession> {
    const [row] = rowsOf<OpenSessionRow>(
      await this.primary.execute(sql`
        select * from playback_open_session(${v.userId}::uuid, ${v.courseId}::uuid, ${v.lessonId}::uuid,
          ${v.videoId}::uuid, ${v.at.toISOString()}::timestamptz, ${v.expiresAt.toISOString()}::timestamptz,
          ${v.keep}::integer, ${v.renewing ?? null}::uuid)`),
    );
    const opened = openedSession(row);
    if (opened instanceof Error) throw opened;
    return opened;
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
