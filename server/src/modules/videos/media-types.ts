/**
 * Content types of a video's files, by extension: what publishing stores with each object and what
 * the playback media route answers with. One table, so S3, the CDN and the app agree.
 */
export const MEDIA_TYPES = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  vtt: 'text/vtt; charset=utf-8',
} as const satisfies Record<string, string>;

/** The file's media type, or undefined when no video file has that extension. */
export function mediaTypeOf(file: string): string | undefined {
  const dot = file.lastIndexOf('.');
  if (dot < 0 || dot < file.lastIndexOf('/')) return undefined;
  return (MEDIA_TYPES as Record<string, string>)[file.slice(dot + 1).toLowerCase()];
}
