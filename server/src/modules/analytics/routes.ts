import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import type { Viewer, ViewCounterService } from './service.js';

/** First-party and opaque: it only tells one browser's repeated views apart from another's. */
export const ANONYMOUS_VIEWER_COOKIE = 'lectio_vid';
const ANONYMOUS_ID = /^[A-Za-z0-9_-]{22,64}$/;
const ONE_YEAR_SECONDS = 365 * 24 * 3600;

export interface AnalyticsRouteOptions {
  secureCookies: boolean;
}

/** Public, so a signed-in caller is recognised when it sends a token, and never required to. */
async function viewerOf(request: FastifyRequest, reply: FastifyReply, options: AnalyticsRouteOptions): Promise<Viewer> {
  if (request.headers.authorization) {
    await requireUser().call(request.server, request, reply);
    if (request.principal) return { kind: 'user', userId: request.principal.userId };
  }
  const existing = request.cookies[ANONYMOUS_VIEWER_COOKIE];
  if (existing && ANONYMOUS_ID.test(existing))
    return { kind: 'anonymous', anonymousId: existing, ip: request.ip, newlyIssued: false };
  const anonymousId = randomBytes(18).toString('base64url');
  reply.setCookie(ANONYMOUS_VIEWER_COOKIE, anonymousId, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secureCookies,
    maxAge: ONE_YEAR_SECONDS,
  });
  return { kind: 'anonymous', anonymousId, ip: request.ip, newlyIssued: true };
}

export function analyticsRoutes(
  viewCounter: ViewCounterService,
  options: AnalyticsRouteOptions,
): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/v1/courses/:id/views',
      {
        schema: {
          tags: ['catalog'],
          summary: 'Count a view of a published course, once per viewer per 30 minutes (anyone)',
          params: z.object({ id: z.uuid() }),
          response: { 204: z.null(), 400: errorResponseSchema, 401: errorResponseSchema, 404: errorResponseSchema },
        },
      },
      async (request, reply) => {
        await viewCounter.recordView(request.params.id, await viewerOf(request, reply, options));
        return reply.status(204).send(null);
      },
    );
  };
}
