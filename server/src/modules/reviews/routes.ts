import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission, requireUser } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import type { ReviewService } from './service.js';

const security = [{ bearerAuth: [] }];
const denied = { 401: errorResponseSchema, 403: errorResponseSchema };
const paging = {
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(50).default(20),
};
const paged = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

/** Raw text: stored and returned exactly as written, so clients must render it as text. */
const bodySchema = z.string().max(5000);
const ratingSchema = z.number().int().min(1).max(5);

export const reviewSchema = z
  .object({
    id: z.string().uuid(),
    courseId: z.string().uuid(),
    rating: z.number().int().min(1).max(5),
    body: z.string().describe('Raw text as written: render as text, never as HTML or Markdown.'),
    author: z.object({
      id: z.string().uuid().nullable(),
      displayName: z.string().nullable(),
      deleted: z.boolean().describe('The account was deleted: show it anonymised.'),
    }),
    reply: z.object({ body: z.string(), repliedAt: z.string().datetime() }).nullable(),
    status: z.enum(['visible', 'hidden']),
    edited: z.boolean(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .meta({ id: 'Review' });

const adminReviewSchema = reviewSchema
  .extend({ hiddenReason: z.string().nullable(), hiddenAt: z.string().datetime().nullable() })
  .meta({ id: 'AdminReview' });

const reviewReportSchema = z
  .object({
    id: z.string().uuid(),
    reason: z.string(),
    createdAt: z.string().datetime(),
    resolvedAt: z.string().datetime().nullable(),
    reporter: reviewSchema.shape.author,
    course: z.object({ id: z.string().uuid(), slug: z.string(), title: z.string() }),
    review: adminReviewSchema,
  })
  .meta({ id: 'ReviewReport' });

const courseParams = z.object({ id: z.string().uuid() });
const reviewParams = z.object({ id: z.string().uuid() });

/** Reviews of a course: read by anyone, written by its enrolled students, moderated by admins. */
export function reviewRoutes(reviews: ReviewService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/courses/:id/reviews',
      {
        schema: {
          tags: ['reviews'],
          summary: 'Reviews of a published course, a page at a time; hidden ones left out (anyone)',
          params: courseParams,
          querystring: z.object({ sort: z.enum(['newest', 'highest', 'lowest']).default('newest'), ...paging }),
          response: { 200: paged(reviewSchema), 400: errorResponseSchema, 404: errorResponseSchema },
        },
      },
      async (request) => reviews.list(request.params.id, request.query),
    );

    app.get(
      '/api/v1/courses/:id/reviews/mine',
      {
        preHandler: requireUser(),
        schema: {
          tags: ['reviews'],
          summary: 'My review of this course, hidden or not, to edit it; null when I have none (signed-in user)',
          security,
          params: courseParams,
          // 200 with null rather than 404: "no review yet" is the normal case on every course page.
          response: { 200: z.object({ review: reviewSchema.nullable() }), ...denied },
        },
      },
      async (request) => ({ review: await reviews.mine(principalOf(request).userId, request.params.id) }),
    );

    app.post(
      '/api/v1/courses/:id/reviews',
      {
        preHandler: requirePermission('review.create'),
        schema: {
          tags: ['reviews'],
          summary: 'Review a course, once: 1–5 stars and text (student enrolled in the course)',
          security,
          params: courseParams,
          body: z.object({ rating: ratingSchema, body: bodySchema.default('') }),
          response: {
            201: reviewSchema,
            400: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await reviews.create(principalOf(request), request.params.id, request.body)),
    );

    app.patch(
      '/api/v1/reviews/:id',
      {
        preHandler: requireUser(),
        schema: {
          tags: ['reviews'],
          summary: 'Edit my review; the course rating follows (its author)',
          security,
          params: reviewParams,
          body: z
            .object({ rating: ratingSchema.optional(), body: bodySchema.optional() })
            .refine((b) => b.rating !== undefined || b.body !== undefined, 'Change the rating or the text.'),
          response: { 200: reviewSchema, 400: errorResponseSchema, 404: errorResponseSchema, ...denied },
        },
      },
      async (request) => reviews.update(principalOf(request), request.params.id, request.body),
    );

    app.put(
      '/api/v1/reviews/:id/reply',
      {
        preHandler: requireUser(),
        schema: {
          tags: ['reviews'],
          summary: "Reply to a review of my course, or change my reply (the course's instructor)",
          security,
          params: reviewParams,
          body: z.object({ body: bodySchema.refine((s) => s.trim().length > 0, 'The reply is empty.') }),
          response: { 200: reviewSchema, 400: errorResponseSchema, 404: errorResponseSchema, ...denied },
        },
      },
      async (request) => reviews.reply(principalOf(request), request.params.id, request.body.body),
    );

    app.post(
      '/api/v1/reviews/:id/report',
      {
        preHandler: requirePermission('review.report'),
        schema: {
          tags: ['reviews'],
          summary: 'Report a review to the moderators, once (signed-in user)',
          security,
          params: reviewParams,
          body: z.object({ reason: z.string().trim().min(1).max(1000) }),
          response: {
            204: z.null(),
            400: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request, reply) => {
        await reviews.report(principalOf(request), request.params.id, request.body.reason);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/v1/admin/reviews/reports',
      {
        preHandler: requirePermission('review.moderate'),
        schema: {
          tags: ['admin'],
          summary: 'Reported reviews, newest report first; open ones by default (admin)',
          security,
          querystring: z.object({ state: z.enum(['open', 'resolved', 'all']).default('open'), ...paging }),
          response: { 200: paged(reviewReportSchema), 400: errorResponseSchema, ...denied },
        },
      },
      async (request) => reviews.listReports(request.query),
    );

    app.post(
      '/api/v1/admin/reviews/:id/hide',
      {
        preHandler: requirePermission('review.moderate'),
        schema: {
          tags: ['admin'],
          summary: 'Hide a review with a reason; it leaves the list and the rating, its reports are settled (admin)',
          security,
          params: reviewParams,
          body: z.object({ reason: z.string().trim().min(1).max(1000) }),
          response: { 200: adminReviewSchema, 400: errorResponseSchema, 404: errorResponseSchema, ...denied },
        },
      },
      async (request) => reviews.hide(request.params.id, request.body.reason),
    );

    app.post(
      '/api/v1/admin/reviews/:id/unhide',
      {
        preHandler: requirePermission('review.moderate'),
        schema: {
          tags: ['admin'],
          summary: 'Show a hidden review again; it counts in the rating again (admin)',
          security,
          params: reviewParams,
          response: { 200: adminReviewSchema, 404: errorResponseSchema, ...denied },
        },
      },
      async (request) => reviews.unhide(request.params.id),
    );
  };
}
