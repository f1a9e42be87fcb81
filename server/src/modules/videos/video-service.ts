import type { Readable } from 'node:stream';
import type { StoragePort } from '../../platform/storage/port.js';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import type { CourseAccessChecker } from '../enrollments/access.js';
import { PROCESSED_BUCKET, RAW_BUCKET } from './limits.js';
import type { VideoRepository, VideoRow, VideoStatus } from './repository.js';
import { videoNotFound } from './upload-service.js';
import { toLessonVideo, toStudioVideo, type LessonVideo, type StudioVideo } from './views.js';

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

export interface MediaFile {
  contentType: string;
  cacheControl: string;
  size: number;
  etag: string;
  lastModified: Date;
  /** Undefined for a HEAD request. */
  body: Readable | undefined;
}

/** Playlists change meaning when a version is replaced; everything else under a version never changes. */
const PLAYLIST_CACHE = 'private, no-cache';
const IMMUTABLE_CACHE = 'private, max-age=31536000, immutable';
const MEDIA_TYPES: Record<string, { type: string; cache: string }> = {
  m3u8: { type: 'application/vnd.apple.mpegurl', cache: PLAYLIST_CACHE },
  ts: { type: 'video/mp2t', cache: IMMUTABLE_CACHE },
  m4s: { type: 'video/iso.segment', cache: IMMUTABLE_CACHE },
  mp4: { type: 'video/mp4', cache: IMMUTABLE_CACHE },
  jpg: { type: 'image/jpeg', cache: IMMUTABLE_CACHE },
  webp: { type: 'image/webp', cache: IMMUTABLE_CACHE },
  vtt: { type: 'text/vtt; charset=utf-8', cache: IMMUTABLE_CACHE },
};
/** `master.m3u8`, `720p/index.m3u8`, `720p/seg_00012.ts`: plain names, at most two levels, no `..`. */
const MEDIA_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

const mediaNotFound = () => new AppError(404, 'not_found', 'No such media file.');

/** The studio's reads and deletion of videos, and who may watch one (the interim media route). */
export class VideoService implements LessonVideoLookup {
  constructor(
    private readonly repository: VideoRepository,
    private readonly storage: StoragePort,
    private readonly access: CourseAccessChecker,
    private readonly log?: VideoLog,
  ) {}

  async get(actor: Actor, videoId: string): Promise<StudioVideo> {
    return toStudioVideo(await this.owned(actor, videoId));
  }

  /** The caller's own videos, newest first (admins too list their own here). */
  async mine(actor: Actor, page: number, pageSize: number, status?: VideoStatus): Promise<Page<StudioVideo>> {
    const { items, total } = await this.repository.listOwned(actor.userId, page, pageSize, status);
    return { items: items.map(toStudioVideo), total, page, pageSize };
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

  /**
   * One file of a video's published version, for whoever may watch it: its owner and admins; anyone
   * when a published course shows it as a free preview; students enrolled in a course that shows
   * it (unless an admin took that course down). A version that is not the current one is a 404,
   * so half-written or replaced output is never served.
   */
  async mediaFile(
    actor: Actor | undefined,
    request: { videoId: string; version: string; path: string; head: boolean },
  ): Promise<MediaFile> {
    const segments = request.path.split('/');
    const extension = request.path.slice(request.path.lastIndexOf('.') + 1);
    const media = MEDIA_TYPES[extension];
    if (!media || segments.length > 2 || !segments.every((s) => MEDIA_SEGMENT.test(s) && !s.includes('..'))) {
      throw mediaNotFound();
    }
    const row = await this.repository.byId(request.videoId);
    if (!row || row.version === null || row.version !== request.version) throw mediaNotFound();
    await this.assertMayWatch(actor, row);

    const key = `${row.id}/${row.version}/${request.path}`;
    const info = await this.storage.headObject(PROCESSED_BUCKET, key);
    if (!info) throw mediaNotFound();
    return {
      contentType: media.type,
      cacheControl: media.cache,
      size: info.size,
      etag: info.etag,
      lastModified: info.lastModified,
      body: request.head ? undefined : await this.storage.getObject(PROCESSED_BUCKET, key),
    };
  }

  private async assertMayWatch(actor: Actor | undefined, row: VideoRow): Promise<void> {
    if (can(actor, 'video.manage', { ownerId: row.ownerId })) return;
    const uses = await this.repository.lessonsUsing(row.id);
    const open = (use: (typeof uses)[number]) => use.courseStatus === 'published' && !use.takenDown;
    if (uses.some((use) => use.isFreePreview && open(use))) return;
    if (actor) {
      for (const courseId of new Set(uses.map((use) => use.courseId))) {
        const access = await this.access.accessOf(actor, courseId);
        const takenDown = uses.some((use) => use.courseId === courseId && use.takenDown);
        if (access === 'admin' || access === 'owner' || (access === 'enrolled' && !takenDown)) return;
      }
    }
    // As for lesson content: what no public course shows does not exist; otherwise sign in or enroll.
    if (!uses.some(open)) throw mediaNotFound();
    if (!actor) throw new AppError(401, 'unauthenticated', 'Sign in to watch this video.');
    throw new AppError(403, 'not_enrolled', 'Enroll in the course to watch this video.');
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
