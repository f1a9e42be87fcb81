import { z } from 'zod';
import { MAX_PART_URLS_PER_CALL, MAX_PARTS } from './limits.js';

/** Request and response shapes of the studio's video routes (docs/design/video-api.md). */

export const videoStatusSchema = z.enum(['uploading', 'uploaded', 'processing', 'ready', 'failed', 'aborted']);

export const studioVideoSchema = z
  .object({
    id: z.string().uuid(),
    status: videoStatusSchema,
    progressPercent: z.number().int().describe('Transcode progress 0–100 while processing'),
    failureCode: z
      .string()
      .nullable()
      .describe(
        'Why processing failed: empty_file, not_media, image_file, no_video_stream, corrupt, duration_too_long, resolution_too_high or processing_error',
      ),
    failureMessage: z.string().nullable().describe('A sentence for the instructor'),
    originalFilename: z.string(),
    sizeBytes: z.number().int(),
    durationSeconds: z.number().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    renditions: z.array(
      z.object({
        name: z.string(),
        width: z.number().int(),
        height: z.number().int(),
        bandwidth: z.number().int().describe('Peak bits per second'),
      }),
    ),
    posterUrl: z
      .string()
      .nullable()
      .describe('JPEG poster, a playback URL signed for the owner (expires like a grant); null until ready'),
    masterUrl: z
      .string()
      .nullable()
      .describe('HLS master playlist, a playback URL signed for the owner (expires like a grant); null until ready'),
    storyboardUrl: z.string().nullable().describe('WebVTT index of the storyboard sprite, signed like masterUrl'),
    createdAt: z.string().datetime(),
    readyAt: z.string().datetime().nullable(),
  })
  .meta({ id: 'StudioVideo' });

export const uploadedPartSchema = z
  .object({
    partNumber: z.number().int().min(1).max(MAX_PARTS),
    etag: z.string(),
    size: z.number().int(),
  })
  .meta({ id: 'UploadedPart' });

export const uploadStateSchema = z
  .object({
    uploadId: z.string(),
    partSize: z.number().int().describe('Bytes of every part but the last'),
    partCount: z.number().int(),
    parts: z.array(uploadedPartSchema).describe('Parts already stored: send only the others'),
  })
  .meta({ id: 'VideoUploadState' });

export const uploadStartedSchema = z
  .object({ video: studioVideoSchema, upload: uploadStateSchema })
  .meta({ id: 'VideoUploadStarted' });

// A media type is a header value: visible ASCII, so it cannot smuggle in another header.
const contentTypeSchema = z
  .string()
  .regex(/^[\x21-\x7e][\x20-\x7e]{0,254}$/)
  .describe('The file’s MIME type as the browser reports it');

export const uploadInputSchema = z.object({
  filename: z.string().trim().min(1).max(255),
  size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('Bytes'),
  contentType: contentTypeSchema.optional(),
  fingerprint: z
    .string()
    .min(1)
    .max(512)
    .describe('Name, size and last-modified time of the picked file: the same file picked again resumes'),
});
export type UploadInput = z.infer<typeof uploadInputSchema>;

export const partUrlsInputSchema = z.object({
  partNumbers: z.array(z.number().int().min(1).max(MAX_PARTS)).min(1).max(MAX_PART_URLS_PER_CALL),
});

export const partUrlsSchema = z
  .object({
    urls: z.array(
      z.object({
        partNumber: z.number().int(),
        url: z.string().describe('PUT the part’s bytes here; the response’s ETag header is the part’s etag'),
        expiresAt: z.string().datetime(),
      }),
    ),
  })
  .meta({ id: 'VideoPartUrls' });

export const recordPartInputSchema = z.object({
  partNumber: z.number().int().min(1).max(MAX_PARTS),
  etag: z.string().min(1).max(200),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type RecordPartInput = z.infer<typeof recordPartInputSchema>;

export const videoListQuery = {
  status: videoStatusSchema.exclude(['aborted']).optional().describe('Only videos in this state'),
};

/**
 * A lesson's video as its content shows it. The media URLs come from a playback grant
 * (POST /lessons/:lessonId/playback), not from here.
 */
export const lessonVideoSchema = z
  .object({
    id: z.string().uuid(),
    status: videoStatusSchema,
    playable: z.boolean().describe('A version is published: a playback grant will succeed for whoever may watch'),
    durationSeconds: z.number().nullable(),
  })
  .meta({ id: 'LessonVideo' });
