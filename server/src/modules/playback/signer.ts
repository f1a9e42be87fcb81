import type { MediaUrlSigner } from '../videos/views.js';
import { signedMediaPath } from './token.js';

export interface PlaybackUrlOptions {
  /** Origin serving `/media/p/…` (the app, an nginx edge or CloudFront), no trailing slash. */
  mediaBaseUrl: string;
  tokenTtlSeconds: number;
}

/** Absolute signed playback URLs on the configured media origin. */
export class PlaybackUrlSigner implements MediaUrlSigner {
  constructor(
    private readonly key: string,
    private readonly options: PlaybackUrlOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get ttlSeconds(): number {
    return this.options.tokenTtlSeconds;
  }

  /** `file` of the video (relative to `<videoId>/`), for `uid` until `expiresAt` (Unix seconds). */
  url(videoId: string, uid: string, file: string, expiresAt: number): string {
    return this.options.mediaBaseUrl + signedMediaPath(this.key, { videoId, uid, expiresAt }, file);
  }

  /**
   * For views without a grant (the studio's preview). The expiry is rounded up to a quarter of the
   * lifetime so the URL stays the same across the page's polls for that long: a player keyed by
   * its URL is not restarted by every refresh, and the browser's cache keeps the files.
   */
  sign(videoId: string, uid: string, file: string): string {
    const ttl = this.options.tokenTtlSeconds;
    const step = Math.max(1, Math.ceil(ttl / 4));
    const expiresAt = Math.ceil((Math.floor(this.now().getTime() / 1000) + ttl) / step) * step;
    return this.url(videoId, uid, file, expiresAt);
  }
}
