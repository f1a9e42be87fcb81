import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireUser } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import { refundRequestBody } from './admin-schemas.js';
import type { RefundService } from './refund-service.js';
import { refundRequestSchema } from './schemas.js';

/** A student asking for their money back; admins decide in admin-routes.ts. */
export function refundRequestRoutes(refunds: RefundService): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/v1/orders/:id/refund-request',
      {
        // Signed in; whether the order is theirs (refund.request) the service decides on the order.
        preHandler: requireUser(),
        schema: {
          tags: ['orders'],
          summary: 'Ask for a refund of my paid order, within the refund policy (its student)',
          security: [{ bearerAuth: [] }],
          params: z.object({ id: z.string().uuid() }),
          body: refundRequestBody,
          response: {
            201: z.object({ request: refundRequestSchema }),
            400: errorResponseSchema,
            401: errorResponseSchema,
            403: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            422: errorResponseSchema,
          },
        },
      },
      async (request, reply) =>
        reply.status(201).send({
          request: await refunds.request(principalOf(request), request.params.id, request.body.reason),
        }),
    );
  };
}
