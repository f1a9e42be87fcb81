import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { optionalUser, principalOf, requirePermission } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import type { CaptionService } from './caption-service.js';
import { captionInputSchema, captionSchema, playbackGrantInputSchema, playbackGrantSchema } from './schemas.js';
import type { PlaybackService } from './service.js';

const optionalSecurity: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
const security = [{ bearerAuth: [] }];
const errors = {
  400: errorResponseSchema,
  401: errorResponseSchema,
  403: errorResponseSchema,
  404: errorResponseSchema,
};
/** JSON-escaped, a 1 MiB caption file can be up to a few times larger; the service checks the real size. */
const CAPTION_BODY_LIMIT = 4 * 1024 * 1024;

/** Playback grants for players, and the studio's captions of a video. */
export function playbackRoutes(playback: PlaybackService, captions: CaptionService): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/v1/lessons/:lessonId/playback',
      {
        preHandler: optionalUser(),
        schema: {
          tags: ['playback'],
          summary:
            'Signed, expiring media URLs for a lesson’s video, opening or renewing a playback session; beyond the account’s limit the oldest session ends (enrolled student, course owner, admin; anyone for a free preview)',
          security: optionalSecurity,
          params: z.object({ lessonId: z.string().uuid() }),
          body: playbackGrantInputSchema.optional(),
          response: { 200: playbackGrantSchema, 409: errorResponseSchema, ...errors },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'private, no-store');
        return playback.issuePlaybackGrant(request.principal, request.params.lessonId, request.body ?? {});
      },
    );

    const teacher = { preHandler: requirePermission('course.create') };
    const videoParams = z.object({ videoId: z.string().uuid() });

    app.get(
      '/api/v1/studio/videos/:videoId/captions',
      {
        ...teacher,
        schema: {
          tags: ['studio'],
          summary: 'A video’s captions, by language (video owner, admin)',
          security,
          params: videoParams,
          response: { 200: z.object({ items: z.array(captionSchema) }), ...errors },
        },
      },
      async (request) => captions.list(principalOf(request), request.params.videoId),
    );

    app.post(
      '/api/v1/studio/videos/:videoId/captions',
      {
        ...teacher,
        bodyLimit: CAPTION_BODY_LIMIT,
        schema: {
          tags: ['studio'],
          summary:
            'Upload a WebVTT or SRT caption file (SRT is converted); replaces the language’s earlier one; 422 caption_invalid with details.reason (video owner, admin)',
          security,
          params: videoParams,
          body: captionInputSchema,
          response: { 201: captionSchema, 413: errorResponseSchema, 422: errorResponseSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await captions.upload(principalOf(request), request.params.videoId, request.body)),
    );

    app.delete(
      '/api/v1/studio/videos/:videoId/captions/:captionId',
      {
        ...teacher,
        schema: {
          tags: ['studio'],
          summary: 'Delete a caption; players stop listing it at their next grant (video owner, admin)',
          security,
          params: videoParams.extend({ captionId: z.string().uuid() }),
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await captions.delete(principalOf(request), request.params.videoId, request.params.captionId);
        return reply.status(204).send(null);
      },
    );
  };
}
