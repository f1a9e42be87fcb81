import type { Readable } from 'node:stream';
import { isStorageError } from '../../platform/storage/errors.js';
import type { StoragePort } from '../../platform/storage/port.js';
import { AppError } from '../app-error.js';
import { PROCESSED_BUCKET } from '../videos/limits.js';
import { mediaTypeOf } from '../videos/media-types.js';
import { verifyPlaybackPath } from './token.js';

export interface PlaybackMediaFile {
  contentType: string;
  size: number;
  etag: string;
  lastModified: Date;
  /** Undefined for a HEAD request, or when the caller's copy is current (`notModified`). */
  body: Readable | undefined;
  notModified: boolean;
}

/**
 * The app's own media origin (embedded mode, or behind a CDN): the signature in the path is the
 * whole authorisation, checked exactly as the nginx edge and the CloudFront Function check it. No
 * database, no session: a file under a version or a caption id never changes, so whoever holds a
 * valid URL may have it until the URL expires.
 */
export class PlaybackMediaService {
  constructor(
    private readonly key: string,
    private readonly storage: StoragePort,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async file(path: string, request: { head: boolean; ifNoneMatch?: string }): Promise<PlaybackMediaFile> {
    const verdict = verifyPlaybackPath(this.key, path, this.nowSeconds());
    if (!verdict.ok) {
      if (verdict.reason === 'expired') {
        throw new AppError(403, 'playback_token_expired', 'This playback link has expired; ask for a new one.');
      }
      throw new AppError(403, 'playback_token_invalid', 'This playback link is not valid.');
    }
    const notFound = () => new AppError(404, 'not_found', 'No such media file.');
    const contentType = mediaTypeOf(verdict.rest);
    if (!contentType) throw notFound();
    const key = `${verdict.claims.videoId}/${verdict.rest}`;
    const info = await this.storage.headObject(PROCESSED_BUCKET, key);
    if (!info) throw notFound();
    const etag = info.etag.startsWith('"') ? info.etag : `"${info.etag}"`;
    const notModified = request.ifNoneMatch !== undefined && request.ifNoneMatch.split(/\s*,\s*/).includes(etag);
    let body: Readable | undefined;
    if (!request.head && !notModified) {
      // Deleted between the two calls (a caption replaced, a video deleted): gone, not an error.
      body = await this.storage.getObject(PROCESSED_BUCKET, key).catch((error: unknown) => {
        throw isStorageError(error, 'not_found') ? notFound() : error;
      });
    }
    return { contentType, size: info.size, etag, lastModified: info.lastModified, notModified, body };
  }
}
