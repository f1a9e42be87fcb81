import { and, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { courses, lessons } from '../catalog/schema.js';
import { users } from '../users/schema.js';
import { videos } from './schema.js';

export type VideoRow = typeof videos.$inferSelect;
export type NewVideo = typeof videos.$inferInsert;
export type VideoStatus = VideoRow['status'];
export type VideoChanges = Partial<Omit<NewVideo, 'id' | 'ownerId' | 'createdAt'>>;

/** What an instructor's videos add up to, for the limits: aborted uploads do not count. */
export interface VideoUsage {
  videos: number;
  openUploads: number;
  bytes: number;
}

/** A lesson that shows a video, with what decides who may watch it. */
export interface VideoLessonUse {
  lessonId: string;
  courseId: string;
  isFreePreview: boolean;
  courseStatus: 'draft' | 'published' | 'archived';
  takenDown: boolean;
}

/**
 * The videos table. The upload side's methods come first; the processing side (jobs, pipeline,
 * publisher) adds its own below them. Writes and reads that follow a write use the primary.
 */
export class VideoRepository {
  constructor(private readonly primary: Db) {}

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.primary.transaction((tx) => work(tx));
  }

  // ---- Upload side ----

  /**
   * Holds the owner's user row until the transaction ends: two uploads started at once by the same
   * instructor take turns, so both cannot pass a limit that only one of them fits under.
   */
  async lockOwner(tx: Db, ownerId: string): Promise<void> {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, ownerId)).for('update');
  }

  async usageOf(db: Db, ownerId: string): Promise<VideoUsage> {
    const [row] = await db
      .select({
        videos: sql<number>`count(*)::int`,
        openUploads: sql<number>`count(*) filter (where ${videos.status} = 'uploading')::int`,
        bytes: sql<string>`coalesce(sum(${videos.sizeBytes}), 0)::text`,
      })
      .from(videos)
      .where(and(eq(videos.ownerId, ownerId), ne(videos.status, 'aborted')));
    return { videos: row?.videos ?? 0, openUploads: row?.openUploads ?? 0, bytes: Number(row?.bytes ?? 0) };
  }

  /** The owner's open upload of the same picked file, which a reloaded page resumes. */
  async openUpload(db: Db, ownerId: string, fingerprint: string): Promise<VideoRow | undefined> {
    const [row] = await db
      .select()
      .from(videos)
      .where(and(eq(videos.ownerId, ownerId), eq(videos.fingerprint, fingerprint), eq(videos.status, 'uploading')));
    return row;
  }

  async insert(tx: Db, values: NewVideo): Promise<VideoRow> {
    const [row] = await tx.insert(videos).values(values).returning();
    if (!row) throw new Error('inserting a video returned no row');
    return row;
  }

  async byId(id: string, db: Db = this.primary): Promise<VideoRow | undefined> {
    const [row] = await db.select().from(videos).where(eq(videos.id, id));
    return row;
  }

  async lock(tx: Db, id: string): Promise<VideoRow | undefined> {
    const [row] = await tx.select().from(videos).where(eq(videos.id, id)).for('update');
    return row;
  }

  /**
   * Applies `changes` only while the row is still in one of `from`: the status a caller read may
   * have moved on meanwhile (a second tab completed or aborted), and that one must win.
   */
  async transition(
    id: string,
    from: VideoStatus[],
    changes: VideoChanges,
    db: Db = this.primary,
  ): Promise<VideoRow | undefined> {
    const [row] = await db
      .update(videos)
      .set({ ...changes, updatedAt: new Date() })
      .where(and(eq(videos.id, id), inArray(videos.status, from)))
      .returning();
    return row;
  }

  /** Newest first; aborted uploads are left out (nothing can be done with them but start again). */
  async listOwned(ownerId: string, page: number, pageSize: number, status?: VideoStatus) {
    const where = and(eq(videos.ownerId, ownerId), status ? eq(videos.status, status) : ne(videos.status, 'aborted'));
    const [items, [counted]] = await Promise.all([
      this.primary
        .select()
        .from(videos)
        .where(where)
        .orderBy(desc(videos.createdAt), desc(videos.id))
        .limit(pageSize)
        .offset((page - 1) * pageSize),
      this.primary
        .select({ n: sql<number>`count(*)::int` })
        .from(videos)
        .where(where),
    ]);
    return { items, total: counted?.n ?? 0 };
  }

  async delete(tx: Db, id: string): Promise<void> {
    await tx.delete(videos).where(eq(videos.id, id));
  }

  /** Every lesson showing the video, with its course's state: who may watch, and whether it may go. */
  async lessonsUsing(videoId: string, db: Db = this.primary): Promise<VideoLessonUse[]> {
    const rows = await db
      .select({
        lessonId: lessons.id,
        courseId: courses.id,
        isFreePreview: lessons.isFreePreview,
        courseStatus: courses.status,
        takenDownAt: courses.takenDownAt,
      })
      .from(lessons)
      .innerJoin(courses, eq(courses.id, lessons.courseId))
      .where(eq(lessons.videoId, videoId));
    return rows.map(({ takenDownAt, ...row }) => ({ ...row, takenDown: takenDownAt !== null }));
  }

  /**
   * Gives every lesson showing the video its duration (whole seconds), once a transcode has
   * published it. Returns the courses touched, whose cached pages show the total duration.
   */
  async syncLessonDurations(tx: Db, videoId: string, seconds: number): Promise<string[]> {
    const rows = await tx
      .update(lessons)
      .set({ durationSeconds: Math.round(seconds), updatedAt: new Date() })
      .where(eq(lessons.videoId, videoId))
      .returning({ courseId: lessons.courseId });
    return [...new Set(rows.map((r) => r.courseId))];
  }

  // ---- Processing side ----
}
