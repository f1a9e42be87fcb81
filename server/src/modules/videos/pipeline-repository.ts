import { and, asc, eq, gt, inArray, isNull, lt, or } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { users } from '../users/schema.js';
import type { VideoRepository, VideoRow } from './repository.js';
import { videos, type VideoPosterRecord, type VideoRenditionRecord, type VideoStoryboardRecord } from './schema.js';

/** What a finished transcode stores on the row, all in the one UPDATE that publishes it. */
export interface PublishedOutput {
  durationSeconds: number;
  width: number;
  height: number;
  renditions: VideoRenditionRecord[];
  poster: VideoPosterRecord;
  storyboard: VideoStoryboardRecord;
}

export interface PublishOutcome {
  /** The version the row pointed at before, now replaced (its files go later). */
  replacedVersion: string | null;
  /** Courses whose lessons took the new duration: their cached pages are stale. */
  courseIds: string[];
}

export interface RawUploadToArchive {
  id: string;
  rawKey: string;
  uploadedAt: Date;
}

/**
 * The processing side's reads and writes of the videos table. Every write of a run is fenced by
 * the run's processing version: a run that lost its job (a crash recovered elsewhere, a lease that
 * ran out) can neither move the progress bar nor publish.
 */
export class VideoPipelineRepository {
  constructor(
    private readonly primary: Db,
    private readonly videos: VideoRepository,
  ) {}

  find(videoId: string): Promise<VideoRow | undefined> {
    return this.videos.byId(videoId, this.primary);
  }

  /**
   * Claims the video for a new run. Refused (false) when the row changed since it was read:
   * gone, aborted, or another run took it meanwhile (its processing version is not the one the
   * caller cleaned up after).
   */
  async startProcessing(videoId: string, expectedPrevious: string | null, version: string): Promise<boolean> {
    const rows = await this.primary
      .update(videos)
      .set({
        status: 'processing',
        progressPercent: 0,
        processingVersion: version,
        failureCode: null,
        failureMessage: null,
        updatedAt: new Date(),
      })
      .where(
        and(
          eq(videos.id, videoId),
          inArray(videos.status, ['uploaded', 'processing', 'failed']),
          expectedPrevious === null ? isNull(videos.processingVersion) : eq(videos.processingVersion, expectedPrevious),
        ),
      )
      .returning({ id: videos.id });
    return rows.length === 1;
  }

  /** False when this run no longer owns the row. */
  async reportProgress(videoId: string, version: string, percent: number): Promise<boolean> {
    const rows = await this.primary
      .update(videos)
      .set({ progressPercent: percent, updatedAt: new Date() })
      .where(and(eq(videos.id, videoId), eq(videos.processingVersion, version), eq(videos.status, 'processing')))
      .returning({ id: videos.id });
    return rows.length === 1;
  }

  /**
   * The publish: one UPDATE moves `version` to this run's prefix, in the transaction that gives
   * the lessons showing the video its duration. Undefined when the run was superseded.
   */
  async publish(videoId: string, version: string, output: PublishedOutput): Promise<PublishOutcome | undefined> {
    return this.videos.transaction(async (tx) => {
      const [before] = await tx
        .select({ version: videos.version })
        .from(videos)
        .where(and(eq(videos.id, videoId), eq(videos.processingVersion, version), eq(videos.status, 'processing')))
        .for('update');
      if (!before) return undefined;
      const now = new Date();
      await tx
        .update(videos)
        .set({
          status: 'ready',
          version,
          processingVersion: null,
          progressPercent: 100,
          failureCode: null,
          failureMessage: null,
          durationSeconds: output.durationSeconds,
          width: output.width,
          height: output.height,
          renditions: output.renditions,
          poster: output.poster,
          storyboard: output.storyboard,
          readyAt: now,
          updatedAt: now,
        })
        .where(and(eq(videos.id, videoId), eq(videos.processingVersion, version)));
      const courseIds = await this.videos.syncLessonDurations(tx, videoId, output.durationSeconds);
      return { replacedVersion: before.version === version ? null : before.version, courseIds };
    });
  }

  /** False when the run no longer owns the row (nothing is changed then). */
  async markFailed(videoId: string, version: string, code: string, message: string): Promise<boolean> {
    const rows = await this.primary
      .update(videos)
      .set({
        status: 'failed',
        processingVersion: null,
        progressPercent: 0,
        failureCode: code,
        failureMessage: message,
        updatedAt: new Date(),
      })
      .where(and(eq(videos.id, videoId), eq(videos.processingVersion, version)))
      .returning({ id: videos.id });
    return rows.length === 1;
  }

  async owner(ownerId: string): Promise<{ email: string; displayName: string } | undefined> {
    const [row] = await this.primary
      .select({ email: users.email, displayName: users.displayName })
      .from(users)
      .where(eq(users.id, ownerId));
    return row;
  }

  /**
   * Raw uploads past the cold age whose transcode is over (ready or failed: nothing reads them but
   * a re-transcode), in upload order. Keyset paging, so a row that cannot be archived today does
   * not block the ones after it.
   */
  async rawUploadsToArchive(
    uploadedBefore: Date,
    after: { uploadedAt: Date; id: string } | undefined,
    limit: number,
  ): Promise<RawUploadToArchive[]> {
    const rows = await this.primary
      .select({ id: videos.id, rawKey: videos.rawKey, uploadedAt: videos.uploadedAt })
      .from(videos)
      .where(
        and(
          eq(videos.rawStorageClass, 'standard'),
          lt(videos.uploadedAt, uploadedBefore),
          inArray(videos.status, ['ready', 'failed']),
          after
            ? or(
                gt(videos.uploadedAt, after.uploadedAt),
                and(eq(videos.uploadedAt, after.uploadedAt), gt(videos.id, after.id)),
              )
            : undefined,
        ),
      )
      .orderBy(asc(videos.uploadedAt), asc(videos.id))
      .limit(limit);
    return rows.flatMap((r) => (r.uploadedAt ? [{ id: r.id, rawKey: r.rawKey, uploadedAt: r.uploadedAt }] : []));
  }

  async markRawArchived(videoId: string, at: Date): Promise<void> {
    await this.primary.update(videos).set({ rawStorageClass: 'cold', rawArchivedAt: at }).where(eq(videos.id, videoId));
  }
}
