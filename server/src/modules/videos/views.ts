import type { z } from 'zod';
import type { VideoRow } from './repository.js';
import type { lessonVideoSchema, studioVideoSchema, uploadStateSchema } from './schemas.js';

export type StudioVideo = z.infer<typeof studioVideoSchema>;
export type LessonVideo = z.infer<typeof lessonVideoSchema>;
export type UploadState = z.infer<typeof uploadStateSchema>;

/**
 * A file of the published version, on the media route: `/media/videos/<id>/<version>/<file>`.
 * Relative to the site, like the API: the player asks the origin that served it the lesson.
 */
export function videoMediaUrl(videoId: string, version: string, file: string): string {
  return `/media/videos/${videoId}/${version}/${file}`;
}

/**
 * The version players may load. It is set only when a transcode published every file (status
 * ready); a later run (a retry, a replacement) leaves it playable until its own output is complete.
 */
function published(row: VideoRow): string | null {
  return row.version ?? null;
}

export function toStudioVideo(row: VideoRow): StudioVideo {
  const version = published(row);
  return {
    id: row.id,
    status: row.status,
    progressPercent: row.progressPercent,
    failureCode: row.failureCode,
    failureMessage: row.failureMessage,
    originalFilename: row.originalFilename,
    sizeBytes: row.sizeBytes,
    durationSeconds: row.durationSeconds,
    width: row.width,
    height: row.height,
    renditions: (row.renditions ?? []).map((r) => ({
      name: r.name,
      width: r.width,
      height: r.height,
      bandwidth: r.bandwidth,
    })),
    posterUrl: version && row.poster ? videoMediaUrl(row.id, version, row.poster.jpeg) : null,
    masterUrl: version ? videoMediaUrl(row.id, version, 'master.m3u8') : null,
    createdAt: row.createdAt.toISOString(),
    readyAt: row.readyAt?.toISOString() ?? null,
  };
}

export function toLessonVideo(row: VideoRow): LessonVideo {
  const version = published(row);
  return {
    id: row.id,
    status: row.status,
    masterUrl: version ? videoMediaUrl(row.id, version, 'master.m3u8') : null,
    posterUrl: version && row.poster ? videoMediaUrl(row.id, version, row.poster.jpeg) : null,
    storyboardUrl: version && row.storyboard ? videoMediaUrl(row.id, version, row.storyboard.vtt) : null,
    durationSeconds: row.durationSeconds,
  };
}
