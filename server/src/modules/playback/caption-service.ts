import { randomUUID } from 'node:crypto';
import type { StoragePort } from '../../platform/storage/port.js';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import { PROCESSED_BUCKET } from '../videos/limits.js';
import { MEDIA_TYPES } from '../videos/media-types.js';
import { assertCaptionLanguage, readCaptionFile } from './captions.js';
import type { CaptionedVideo, CaptionRow, PlaybackRepository } from './repository.js';
import type { PlaybackLog } from './service.js';

export interface CaptionView {
  id: string;
  language: string;
  label: string;
  sourceFormat: 'vtt' | 'srt';
  sizeBytes: number;
  cueCount: number;
  createdAt: string;
}

const toCaptionView = (row: CaptionRow): CaptionView => ({
  id: row.id,
  language: row.language,
  label: row.label,
  sourceFormat: row.sourceFormat,
  sizeBytes: row.sizeBytes,
  cueCount: row.cueCount,
  createdAt: row.createdAt.toISOString(),
});

/**
 * Under the video's signed prefix, so a grant opens it, and never rewritten: a replacement is a new
 * id (and key), so caches may keep every caption file forever.
 */
export const captionKey = (videoId: string, captionId: string) => `${videoId}/captions/${captionId}.vtt`;

const videoNotFound = () => new AppError(404, 'video_not_found', 'No such video.');

/** Subtitles of a video, managed in the studio by the video's owner (and admins). */
export class CaptionService {
  constructor(
    private readonly repository: PlaybackRepository,
    private readonly storage: StoragePort,
    private readonly log?: PlaybackLog,
  ) {}

  async list(actor: Actor, videoId: string): Promise<{ items: CaptionView[] }> {
    await this.owned(actor, videoId);
    return { items: (await this.repository.captionsOf(videoId)).map(toCaptionView) };
  }

  /**
   * Checks the file (422 `caption_invalid`), converts SRT, stores it, then makes it the video's
   * caption for its language. An earlier file for that language is deleted only after the row
   * points at the new one, so a grant never lists a file that is gone.
   */
  async upload(
    actor: Actor,
    videoId: string,
    input: { language: string; label: string; content: string },
  ): Promise<CaptionView> {
    const video = await this.owned(actor, videoId);
    assertCaptionLanguage(input.language);
    const parsed = readCaptionFile(input.content, video.durationSeconds);
    const id = randomUUID();
    const storageKey = captionKey(video.id, id);
    const body = Buffer.from(parsed.vtt, 'utf8');
    await this.storage.putObject(PROCESSED_BUCKET, storageKey, body, { contentType: MEDIA_TYPES.vtt });
    let saved: Awaited<ReturnType<PlaybackRepository['replaceCaption']>>;
    try {
      saved = await this.repository.replaceCaption({
        id,
        videoId: video.id,
        language: input.language,
        label: input.label,
        storageKey,
        sourceFormat: parsed.sourceFormat,
        sizeBytes: body.length,
        cueCount: parsed.cueCount,
      });
    } catch (error) {
      await this.deleteQuietly(storageKey);
      throw error;
    }
    if (saved.replacedKey) await this.deleteQuietly(saved.replacedKey);
    return toCaptionView(saved.row);
  }

  async delete(actor: Actor, videoId: string, captionId: string): Promise<void> {
    await this.owned(actor, videoId);
    const row = await this.repository.deleteCaption(videoId, captionId);
    if (!row) throw new AppError(404, 'caption_not_found', 'No such caption.');
    await this.deleteQuietly(row.storageKey);
  }

  /** After the row is gone: a leftover file is unlisted (its id unguessable), so only space is lost. */
  private async deleteQuietly(key: string): Promise<void> {
    await this.storage
      .deleteObject(PROCESSED_BUCKET, key)
      .catch((error: unknown) => this.log?.warn({ err: error, key }, 'could not delete a caption file'));
  }

  private async owned(actor: Actor, videoId: string): Promise<CaptionedVideo> {
    const video = await this.repository.captionedVideo(videoId);
    if (!video || !can(actor, 'video.manage', { ownerId: video.ownerId })) throw videoNotFound();
    return video;
  }
}
