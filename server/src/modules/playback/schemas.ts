import { z } from 'zod';
import { MAX_CAPTION_BYTES } from './captions.js';

/** Request and response shapes of the playback and captions routes (docs/design/playback.md). */

export const playbackGrantInputSchema = z.object({
  sessionId: z
    .string()
    .uuid()
    .optional()
    .describe('Renew this session (the previous grant’s sessionId) instead of starting a new one'),
});

const signedUrl = (what: string) => z.string().describe(`${what}: absolute, signed for this viewer and video`);

export const playbackGrantSchema = z
  .object({
    sessionId: z
      .string()
      .uuid()
      .nullable()
      .describe('Send it back to renew, and with progress reports; null for an anonymous free preview'),
    lessonId: z.string().uuid(),
    courseId: z.string().uuid(),
    videoId: z.string().uuid(),
    durationSeconds: z.number().nullable(),
    expiresAt: z.string().datetime().describe('When every URL below stops working'),
    renewAt: z.string().datetime().describe('Ask for a renewal (with sessionId) at this time'),
    hlsUrl: signedUrl('HLS master playlist; its relative URLs carry the signature to every rendition and segment'),
    posterUrl: signedUrl('JPEG poster').nullable(),
    storyboardUrl: signedUrl('WebVTT index of the storyboard sprite (seek-bar previews)').nullable(),
    captions: z.array(
      z.object({
        id: z.string().uuid(),
        language: z.string().describe('BCP 47 tag, e.g. ko, en, pt-BR'),
        label: z.string(),
        url: signedUrl('WebVTT file'),
      }),
    ),
  })
  .meta({ id: 'PlaybackGrant' });

export const captionSchema = z
  .object({
    id: z.string().uuid(),
    language: z.string(),
    label: z.string(),
    sourceFormat: z.enum(['vtt', 'srt']).describe('What was uploaded; it is stored and served as WebVTT'),
    sizeBytes: z.number().int(),
    cueCount: z.number().int(),
    createdAt: z.string().datetime(),
  })
  .meta({ id: 'VideoCaption' });

export const captionInputSchema = z.object({
  language: z.string().min(2).max(35).describe('BCP 47 tag: ko, en, pt-BR; a second upload replaces that language'),
  label: z.string().trim().min(1).max(60).describe('Shown in the player’s captions menu, e.g. 한국어, English'),
  content: z
    .string()
    .describe(`The file’s text, WebVTT or SRT (converted), at most ${MAX_CAPTION_BYTES} bytes of UTF-8`),
});
