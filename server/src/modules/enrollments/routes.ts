import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import { courseCardSchema } from '../catalog/schemas.js';
import type { EnrollmentService } from './service.js';

const security = [{ bearerAuth: [] }];
const denied = { 401: errorResponseSchema, 403: errorResponseSchema };
const paging = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(50).default(20),
});
const paged = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

const enrollmentSchema = z
  .object({
    id: z.string().uuid(),
    courseId: z.string().uuid(),
    source: z.enum(['free', 'order', 'admin']),
    status: z.enum(['active', 'revoked']),
    enrolledAt: z.string().datetime(),
  })
  .meta({ id: 'Enrollment' });

const myEnrollmentSchema = z
  .object({ course: courseCardSchema, enrolledAt: z.string().datetime() })
  .meta({ id: 'MyEnrollment' });

/** Enrolling and the signed-in student's courses and wishlist. */
export function enrollmentRoutes(enrollments: EnrollmentService): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/api/v1/courses/:id/enroll',
      {
        preHandler: requirePermission('enrollment.create'),
        schema: {
          tags: ['enrollments'],
          summary: 'Enroll in a free published course in one click; a paid one answers 402 (signed-in user)',
          security,
          params: z.object({ id: z.string().uuid() }),
          response: {
            201: z.object({ enrollment: enrollmentSchema }),
            402: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send({ enrollment: await enrollments.enrollFree(principalOf(request).userId, request.params.id) }),
    );

    app.get(
      '/api/v1/me/enrollments',
      {
        preHandler: requirePermission('enrollment.read'),
        schema: {
          tags: ['me'],
          summary: 'The courses I am enrolled in, most recent first (signed-in user)',
          security,
          querystring: paging,
          response: { 200: paged(myEnrollmentSchema), 400: errorResponseSchema, ...denied },
        },
      },
      async (request) => enrollments.mine(principalOf(request).userId, request.query),
    );

    app.get(
      '/api/v1/me/wishlist',
      {
        preHandler: requirePermission('enrollment.read'),
        schema: {
          tags: ['me'],
          summary: 'My wishlist of published courses, newest first (signed-in user)',
          security,
          querystring: paging,
          response: { 200: paged(courseCardSchema), 400: errorResponseSchema, ...denied },
        },
      },
      async (request) => enrollments.wishlist(principalOf(request).userId, request.query),
    );

    app.put(
      '/api/v1/me/wishlist/:courseId',
      {
        preHandler: requirePermission('wishlist.update'),
        schema: {
          tags: ['me'],
          summary: 'Add a published course to my wishlist; adding it again changes nothing (signed-in user)',
          security,
          params: z.object({ courseId: z.string().uuid() }),
          response: { 204: z.null(), 404: errorResponseSchema, ...denied },
        },
      },
      async (request, reply) => {
        await enrollments.wish(principalOf(request).userId, request.params.courseId);
        return reply.status(204).send(null);
      },
    );

    app.delete(
      '/api/v1/me/wishlist/:courseId',
      {
        preHandler: requirePermission('wishlist.update'),
        schema: {
          tags: ['me'],
          summary: 'Remove a course from my wishlist; removing it again changes nothing (signed-in user)',
          security,
          params: z.object({ courseId: z.string().uuid() }),
          response: { 204: z.null(), ...denied },
        },
      },
      async (request, reply) => {
        await enrollments.unwish(principalOf(request).userId, request.params.courseId);
        return reply.status(204).send(null);
      },
    );
  };
}
