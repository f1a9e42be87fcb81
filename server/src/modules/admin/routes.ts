import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import type { InstructorApplicationService } from '../instructor-applications/service.js';
import { adminUserSchema, applicationSchema, pagingQuery } from '../users/schemas.js';
import type { AdminUserService } from './service.js';

const security = [{ bearerAuth: [] }];
const denied = { 401: errorResponseSchema, 403: errorResponseSchema };
const paged = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

/** User and instructor-application administration: admins only, others get 403 `forbidden`. */
export function adminRoutes(
  admin: AdminUserService,
  applications: InstructorApplicationService,
): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/admin/users',
      {
        preHandler: requirePermission('admin.users.read'),
        schema: {
          tags: ['admin'],
          summary: 'Find users by email or display name, role and status, a page at a time (admin)',
          security,
          querystring: z.object({
            q: z.string().trim().max(200).optional(),
            role: z.enum(['student', 'instructor', 'admin']).optional(),
            status: z.enum(['active', 'deactivated']).optional(),
            ...pagingQuery,
          }),
          response: { 200: paged(adminUserSchema), 400: errorResponseSchema, ...denied },
        },
      },
      async (request) => admin.search(request.query),
    );

    app.patch(
      '/api/v1/admin/users/:id',
      {
        preHandler: requirePermission('admin.users.update'),
        schema: {
          tags: ['admin'],
          summary: "Change a user's role or status; not one's own (admin)",
          security,
          params: z.object({ id: z.string().uuid() }),
          body: z.object({
            role: z.enum(['student', 'instructor', 'admin']).optional(),
            status: z.enum(['active', 'deactivated']).optional(),
          }),
          response: {
            200: adminUserSchema,
            400: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request) => admin.update(principalOf(request).userId, request.params.id, request.body),
    );

    app.get(
      '/api/v1/admin/instructor-applications',
      {
        preHandler: requirePermission('instructor-application.decide'),
        schema: {
          tags: ['admin'],
          summary: 'Instructor applications, newest first, with their applicant (admin)',
          security,
          querystring: z.object({ status: z.enum(['pending', 'approved', 'rejected']).optional(), ...pagingQuery }),
          response: {
            200: paged(
              applicationSchema.extend({
                user: z.object({ id: z.string().uuid(), email: z.string(), displayName: z.string() }),
              }),
            ),
            400: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request) => applications.list(request.query),
    );

    app.post(
      '/api/v1/admin/instructor-applications/:id/decision',
      {
        preHandler: requirePermission('instructor-application.decide'),
        schema: {
          tags: ['admin'],
          summary: 'Approve (the user becomes an instructor) or reject an application (admin)',
          security,
          params: z.object({ id: z.string().uuid() }),
          body: z.object({ approve: z.boolean(), note: z.string().trim().max(2000).optional() }),
          response: {
            200: applicationSchema,
            400: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request) =>
        applications.decide(principalOf(request).userId, request.params.id, request.body.approve, request.body.note),
    );
  };
}
