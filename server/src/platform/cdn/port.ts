/**
 * Tells the CDN in front of `/media/` that paths changed. Published video files never change
 * (each transcode writes a new version prefix), so this only matters for edge caches that keyed
 * something by the video alone; it is best effort and never blocks a publish.
 */
export interface CdnPort {
  readonly backend: 'none' | 'cloudfront';
  /** Paths start with '/'; a trailing `*` invalidates everything under the prefix. */
  invalidate(paths: string[]): Promise<void>;
  close(): Promise<void>;
}

export function assertInvalidationPaths(paths: string[]): void {
  for (const p of paths) {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must not pass
    if (!p.startsWith('/') || /[\s\u0000-\u001f]/.test(p)) {
      throw new Error(`CDN invalidation path must start with '/' and contain no whitespace: ${JSON.stringify(p)}`);
    }
  }
}
