import type { StoragePort } from '../../platform/storage/port.js';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import { PROCESSED_BUCKET, RAW_BUCKET } from './limits.js';
import type { VideoRepository, VideoRow, VideoStatus } from './repository.js';
import { videoNotFound } from './upload-service.js';
import { toLessonVideo, toStudioVideo, type LessonVideo, type MediaUrlSigner, type StudioVideo } from './views.js';

export interface VideoLog {
  warn(details: object, message: string): void;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** What a lesson may link to: a video of the course's instructor that was not abandoned. */
export interface AttachableVideo {
  id: string;
  status: VideoStatus;
  durationSeconds: number | null;
}

/**
 * What the catalog asks of videos, as a port: the studio's lesson editor links a video, and a
 * lesson's content shows it to students.
 */
export interface LessonVideoLookup {
  /** 404 `video_not_found` unless the video exists, is `ownerId`'s and is not an aborted upload. */
  attachableVideo(ownerId: string, videoId: string): Promise<AttachableVideo>;
  /** The player's view of a lesson's video; null when the row is gone. */
  lessonVideo(videoId: string): Promise<LessonVideo | null>;
}

/** The studio's reads and deletion of videos, and what a lesson's content says of its video. */
export class VideoService implements LessonVideoLookup {
  constructor(
    private readonly repository: VideoRepository,
    private readonly storage: StoragePort,
    private readonly signer: MediaUrlSigner,
    private readonly log?: VideoLog,
  ) {}

  async get(actor: Actor, videoId: string): Promise<StudioVideo> {
    return toStudioVideo(await this.owned(actor, videoId), this.signer);
  }

  /** The caller's own videos, newest first (admins too list their own here). */
  async mine(actor: Actor, page: number, pageSize: number, status?: VideoStatus): Promise<Page<StudioVideo>> {
    const { items, total } = await this.repository.listOwned(actor.userId, page, pageSize, status);
    return { items: items.map((row) => toStudioVideo(row, this.signer)), total, page, pageSize };
  }

  /**
   * Deletes a video with its files. Refused (409 `video_in_use`) while a published course shows
   * it; lessons of other courses lose the link (the foreign key sets it null).
   */
  async delete(actor: Actor, videoId: string): Promise<void> {
    await this.owned(actor, videoId);
    const deleted = await this.repository.transaction(async (tx) => {
      const row = await this.repository.lock(tx, videoId);
      if (!row) return undefined;
      const published = (await this.repository.lessonsUsing(videoId, tx)).filter(
        (use) => use.courseStatus === 'published',
      );
      if (published.length) {
        throw new AppError(409, 'video_in_use', 'A published course shows this video; replace it there first.', {
          lessonIds: published.map((use) => use.lessonId),
        });
      }
      await this.repository.delete(tx, videoId);
      return row;
    });
    if (deleted) await this.deleteFiles(deleted);
  }

  async attachableVideo(ownerId: string, videoId: string): Promise<AttachableVideo> {
    const row = await this.repository.byId(videoId);
    if (!row || row.ownerId !== ownerId || row.status === 'aborted') throw videoNotFound();
    return { id: row.id, status: row.status, durationSeconds: row.durationSeconds };
  }

  async lessonVideo(videoId: string): Promise<LessonVideo | null> {
    const row = await this.repository.byId(videoId);
    return row ? toLessonVideo(row) : null;
  }

  /** Best effort, after the row is gone: a leftover object wastes space but is never served. */
  private async deleteFiles(row: VideoRow): Promise<void> {
    const warn = (error: unknown, what: string) => this.log?.warn({ err: error, videoId: row.id }, what);
    if (row.uploadId) {
      await this.storage
        .abortMultipartUpload(RAW_BUCKET, row.rawKey, row.uploadId)
        .catch((error: unknown) => warn(error, 'could not abort the upload of a deleted video'));
    }
    await this.storage
      .deleteObject(RAW_BUCKET, row.rawKey)
      .catch((error: unknown) => warn(error, 'could not delete the raw file of a deleted video'));
    try {
      let cursor: string | undefined;
      do {
        const listed = await this.storage.list(PROCESSED_BUCKET, `${row.id}/`, { cursor });
        await Promise.all(listed.objects.map((o) => this.storage.deleteObject(PROCESSED_BUCKET, o.key)));
        cursor = listed.cursor;
      } while (cursor);
    } catch (error) {
      warn(error, 'could not delete the processed files of a deleted video');
    }
  }

  private async owned(actor: Actor, videoId: string): Promise<VideoRow> {
    const row = await this.repository.byId(videoId);
    if (!row || !can(actor, 'video.manage', { ownerId: row.ownerId })) throw videoNotFound();
    return row;
  }
}
