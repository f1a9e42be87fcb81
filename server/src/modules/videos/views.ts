import type { z } from 'zod';
import type { VideoRow } from './repository.js';
import type { lessonVideoSchema, studioVideoSchema, uploadStateSchema } from './schemas.js';

export type StudioVideo = z.infer<typeof studioVideoSchema>;
export type LessonVideo = z.infer<typeof lessonVideoSchema>;
export type UploadState = z.infer<typeof uploadStateSchema>;

/**
 * Signs one file of a video for one viewer: an absolute playback URL (playback/token.ts) that
 * expires with the configured grant lifetime. The studio signs its previews for the video's owner.
 */
export interface MediaUrlSigner {
  sign(videoId: string, uid: string, file: string): string;
}

/**
 * The version players may load. It is set only when a transcode published every file (status
 * ready); a later run (a retry, a replacement) leaves it playable until its own output is complete.
 */
function published(row: VideoRow): string | null {
  return row.version ?? null;
}

/** The owner's view: its preview URLs are signed for the owner, like a grant without a session. */
export function toStudioVideo(row: VideoRow, signer: MediaUrlSigner): StudioVideo {
  const version = published(row);
  const url = (file: string) => (version ? signer.sign(row.id, row.ownerId, `${version}/${file}`) : null);
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
    posterUrl: row.poster ? url(row.poster.jpeg) : null,
    masterUrl: url('master.m3u8'),
    storyboardUrl: row.storyboard ? url(row.storyboard.vtt) : null,
    createdAt: row.createdAt.toISOString(),
    readyAt: row.readyAt?.toISOString() ?? null,
  };
}

/**
 * What a lesson's content says of its video. No media URLs: a student's player asks for a playback
 * grant (POST /lessons/:id/playback), which checks access, counts the session and signs them.
 */
export function toLessonVideo(row: VideoRow): LessonVideo {
  return {
    id: row.id,
    status: row.status,
    playable: published(row) !== null,
    durationSeconds: row.durationSeconds,
  };
}
