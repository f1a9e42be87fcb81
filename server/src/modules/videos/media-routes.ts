import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { optionalUser } from '../../http/auth.js';
import type { VideoService } from './video-service.js';

/**
 * The interim media route (until playback tokens arrive): files of a video's published version,
 * checked against the caller on every request. The bearer token is optional; a player sends it
 * with each request (hls.js `xhrSetup`), and free previews need none. Not part of the JSON API,
 * hence hidden from OpenAPI; its access rules are tested in video-uploads.test.ts.
 */
export function videoMediaRoutes(videos: VideoService): FastifyPluginAsyncZod {
  return async (app) => {
    app.route({
      method: ['GET', 'HEAD'],
      url: '/media/videos/:videoId/:version/*',
      preHandler: optionalUser(),
      schema: {
        hide: true,
        params: z.object({
          videoId: z.string().uuid(),
          version: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
          '*': z.string().min(1).max(200),
        }),
      },
      handler: async (request, reply) => {
        const file = await videos.mediaFile(request.principal, {
          videoId: request.params.videoId,
          version: request.params.version,
          path: request.params['*'],
          head: request.method === 'HEAD',
        });
        reply
          .header('content-type', file.contentType)
          .header('content-length', String(file.size))
          .header('cache-control', file.cacheControl)
          .header('etag', file.etag)
          .header('last-modified', file.lastModified.toUTCString())
          .header('x-content-type-options', 'nosniff')
          // Access depends on who asks: a shared cache must never answer one viewer with another's file.
          .header('vary', 'authorization');
        return reply.send(file.body);
      },
    });
  };
}
