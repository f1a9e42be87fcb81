import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import {
  adminOrderSchema,
  adminOrdersQuery,
  adminRefundRequestSchema,
  approveBody,
  directRefundBody,
  paged,
  refundRequestsQuery,
  rejectBody,
} from './admin-schemas.js';
import type { RefundService } from './refund-service.js';
import { orderSchema, refundRequestSchema } from './schemas.js';

const security = [{ bearerAuth: [] }];
const denied = { 401: errorResponseSchema, 403: errorResponseSchema };
const id = z.object({ id: z.string().uuid() });

/** Orders and refunds for admins; everyone else gets 403 `forbidden`. */
export function paymentsAdminRoutes(refunds: RefundService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/admin/orders',
      {
        preHandler: requirePermission('admin.orders.read'),
        schema: {
          tags: ['admin'],
          summary: "Every order, newest first, by status and by the buyer's email or the course title (admin)",
          security,
          querystring: adminOrdersQuery,
          response: { 200: paged(adminOrderSchema), 400: errorResponseSchema, ...denied },
        },
      },
      async (request) => refunds.listOrders(request.query),
    );

    app.post(
      '/api/v1/admin/orders/:id/refund',
      {
        preHandler: requirePermission('admin.orders.refund'),
        schema: {
          tags: ['admin'],
          summary:
            'Refund a paid order in full through the gateway, policy or not; refunded once the gateway confirms (admin)',
          security,
          params: id,
          body: directRefundBody,
          response: {
            200: z.object({ order: orderSchema }),
            400: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            502: errorResponseSchema,
            503: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request) => refunds.refundDirectly(principalOf(request), request.params.id, request.body.reason),
    );

    app.get(
      '/api/v1/admin/refund-requests',
      {
        preHandler: requirePermission('admin.orders.read'),
        schema: {
          tags: ['admin'],
          summary: "Students' refund requests, open ones by default, newest first (admin)",
          security,
          querystring: refundRequestsQuery,
          response: { 200: paged(adminRefundRequestSchema), 400: errorResponseSchema, ...denied },
        },
      },
      async (request) => refunds.listRequests(request.query),
    );

    app.post(
      '/api/v1/admin/refund-requests/:id/approve',
      {
        preHandler: requirePermission('admin.orders.refund'),
        schema: {
          tags: ['admin'],
          summary: 'Approve a refund request: the order is refunded through the gateway, the student told (admin)',
          security,
          params: id,
          body: approveBody,
          response: {
            200: z.object({ request: refundRequestSchema, order: orderSchema }),
            400: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            502: errorResponseSchema,
            503: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request) => refunds.approve(principalOf(request), request.params.id, request.body.note),
    );

    app.post(
      '/api/v1/admin/refund-requests/:id/reject',
      {
        preHandler: requirePermission('admin.orders.refund'),
        schema: {
          tags: ['admin'],
          summary: 'Reject a refund request with a note the student receives (admin)',
          security,
          params: id,
          body: rejectBody,
          response: {
            200: z.object({ request: refundRequestSchema }),
            400: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request) => refunds.reject(principalOf(request), request.params.id, request.body.note),
    );
  };
}
