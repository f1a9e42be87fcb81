import type { FastifyPluginAsync } from 'fastify';
import type { PlaybackMediaService } from './media-service.js';

/**
 * `GET|HEAD /media/p/<token>/videos/<videoId>/<file>`: the embedded media origin. The token is the
 * authorisation (no bearer token, no cookie), so the answer is the same for everyone holding a valid
 * URL and may be cached publicly; an edge in front strips the token from its cache key. Not part of
 * the JSON API, hence hidden from OpenAPI.
 */
export function playbackMediaRoutes(media: PlaybackMediaService): FastifyPluginAsync {
  return async (app) => {
    app.route({
      method: ['GET', 'HEAD'],
      url: '/media/p/*',
      schema: { hide: true },
      // Not under the per-IP API budget: a class behind one NAT address fetches ~10 files a minute
      // per viewer. The signature is the gate, and refusing a bad one costs no database query.
      config: { rateLimit: false },
      handler: async (request, reply) => {
        // Players on other origins (an embedded lesson, a separate media host) read these with CORS.
        reply.header('access-control-allow-origin', '*');
        const ifNoneMatch = request.headers['if-none-match'];
        const file = await media.file(request.url.split('?')[0] ?? '', {
          head: request.method === 'HEAD',
          ifNoneMatch,
        });
        reply
          .header('cache-control', 'public, max-age=31536000, immutable')
          .header('etag', file.etag)
          .header('last-modified', file.lastModified.toUTCString())
          .header('x-content-type-options', 'nosniff');
        if (file.notModified) return reply.status(304).send();
        reply.header('content-type', file.contentType).header('content-length', String(file.size));
        return reply.send(file.body);
      },
    });
  };
}
