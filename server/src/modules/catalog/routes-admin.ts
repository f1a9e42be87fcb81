import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import type { CourseAdminService } from './admin-service.js';
import { adminCourseSchema, courseStatusSchema, paged, pageQuery } from './schemas.js';

const security = [{ bearerAuth: [] }];
const denied = { 401: errorResponseSchema, 403: errorResponseSchema };

/** Course moderation: admins only, others get 403 `forbidden`. */
export function courseAdminRoutes(admin: CourseAdminService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/admin/courses',
      {
        preHandler: requirePermission('admin.courses.read'),
        schema: {
          tags: ['admin'],
          summary: 'Every course, any status, by title or slug, newest first (admin)',
          security,
          querystring: z.object({
            status: courseStatusSchema.optional(),
            q: z.string().trim().max(200).optional(),
            ...pageQuery,
          }),
          response: { 200: paged(adminCourseSchema), 400: errorResponseSchema, ...denied },
        },
      },
      async (request) => admin.list(request.query),
    );

    app.post(
      '/api/v1/admin/courses/:id/takedown',
      {
        preHandler: requirePermission('course.takedown'),
        schema: {
          tags: ['admin'],
          summary: 'Take a course down: unpublished at once, the reason shown to its instructor (admin)',
          security,
          params: z.object({ id: z.string().uuid() }),
          body: z.object({ reason: z.string().trim().min(1).max(1000) }),
          response: { 200: adminCourseSchema, 400: errorResponseSchema, 404: errorResponseSchema, ...denied },
        },
      },
      async (request) => admin.takedown(principalOf(request), request.params.id, request.body.reason),
    );

    app.post(
      '/api/v1/admin/courses/:id/restore',
      {
        preHandler: requirePermission('course.takedown'),
        schema: {
          tags: ['admin'],
          summary: 'Lift a takedown; a course published before it is published again (admin)',
          security,
          params: z.object({ id: z.string().uuid() }),
          response: { 200: adminCourseSchema, 404: errorResponseSchema, 409: errorResponseSchema, ...denied },
        },
      },
      async (request) => admin.restore(request.params.id),
    );
  };
}
