import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import {
  couponInputSchema,
  couponPatchSchema,
  couponSchema,
  couponsQuery,
  paged,
  revenueQuery,
  revenueSchema,
} from './admin-schemas.js';
import type { CouponService } from './coupon-service.js';
import type { RevenueService } from './revenue-service.js';

const security = [{ bearerAuth: [] }];
const denied = { 401: errorResponseSchema, 403: errorResponseSchema };

/**
 * Coupons and revenue in the studio: teachers only (students 403). Which coupons and whose sales
 * a teacher reaches is the services' call: their own courses, or anything for admins.
 */
export function paymentsStudioRoutes(coupons: CouponService, revenue: RevenueService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/studio/revenue',
      {
        preHandler: requirePermission('revenue.read'),
        schema: {
          tags: ['studio'],
          summary: 'Sales of my courses by course and month (UTC), with totals per currency (teacher)',
          security,
          querystring: revenueQuery,
          response: { 200: revenueSchema, 400: errorResponseSchema, 422: errorResponseSchema, ...denied },
        },
      },
      async (request) => revenue.report(principalOf(request), request.query),
    );

    app.get(
      '/api/v1/studio/coupons',
      {
        // Listing is part of making coupons; the list holds only what the caller may manage.
        preHandler: requirePermission('coupon.create'),
        schema: {
          tags: ['studio'],
          summary: 'Coupons of my courses, newest first; admins see every coupon, site-wide ones included (teacher)',
          security,
          querystring: couponsQuery,
          response: { 200: paged(couponSchema), 400: errorResponseSchema, ...denied },
        },
      },
      async (request) => coupons.list(principalOf(request), request.query),
    );

    app.post(
      '/api/v1/studio/coupons',
      {
        preHandler: requirePermission('coupon.create'),
        schema: {
          tags: ['studio'],
          summary: 'Create a coupon for one of my courses; site-wide coupons are for admins only (teacher)',
          security,
          body: couponInputSchema,
          response: {
            201: z.object({ coupon: couponSchema }),
            400: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            422: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request, reply) =>
        reply.status(201).send({ coupon: await coupons.create(principalOf(request), request.body) }),
    );

    app.patch(
      '/api/v1/studio/coupons/:id',
      {
        preHandler: requirePermission('coupon.create'),
        schema: {
          tags: ['studio'],
          summary: 'Switch a coupon on or off, change its expiry or its limit (its course instructor, admin)',
          security,
          params: z.object({ id: z.string().uuid() }),
          body: couponPatchSchema,
          response: {
            200: z.object({ coupon: couponSchema }),
            400: errorResponseSchema,
            404: errorResponseSchema,
            422: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request) => ({ coupon: await coupons.update(principalOf(request), request.params.id, request.body) }),
    );
  };
}
