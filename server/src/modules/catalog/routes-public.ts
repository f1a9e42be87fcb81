import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { optionalUser } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import {
  categoryNodeSchema,
  courseCardSchema,
  courseDetailSchema,
  downloadLinkSchema,
  instructorPageSchema,
  lessonContentSchema,
  paged,
  pageQuery,
} from './schemas.js';
import type { CatalogService } from './service.js';

const optionalSecurity: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
const id = z.string().uuid();

/** The public catalog: anyone may read it; a signed-in caller gets their own `viewer` state and lessons. */
export function catalogRoutes(catalog: CatalogService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/categories',
      {
        schema: {
          tags: ['catalog'],
          summary: 'The two-level category tree with published-course counts (anyone)',
          response: { 200: z.object({ items: z.array(categoryNodeSchema) }) },
        },
      },
      async () => catalog.categories(),
    );

    app.get(
      '/api/v1/courses',
      {
        schema: {
          tags: ['catalog'],
          summary: 'Published courses, optionally of one category (and its subcategories), a page at a time (anyone)',
          querystring: z.object({
            category: z.string().trim().min(1).max(100).optional(),
            sort: z.enum(['newest', 'popular', 'rating']).default('newest'),
            ...pageQuery,
          }),
          response: { 200: paged(courseCardSchema), 400: errorResponseSchema, 404: errorResponseSchema },
        },
      },
      async (request) => catalog.courses(request.query),
    );

    app.get(
      '/api/v1/courses/:slug',
      {
        preHandler: optionalUser(),
        schema: {
          tags: ['catalog'],
          summary: "A published course's page; a draft or archived one only for its instructor and admins (anyone)",
          security: optionalSecurity,
          params: z.object({ slug: z.string().min(1).max(200) }),
          response: { 200: courseDetailSchema, 401: errorResponseSchema, 404: errorResponseSchema },
        },
      },
      async (request) => catalog.courseBySlug(request.params.slug, request.principal),
    );

    app.get(
      '/api/v1/instructors/:id',
      {
        schema: {
          tags: ['catalog'],
          summary: "An instructor's page: their published courses and totals (anyone)",
          params: z.object({ id }),
          response: { 200: instructorPageSchema, 400: errorResponseSchema, 404: errorResponseSchema },
        },
      },
      async (request) => catalog.instructorPage(request.params.id),
    );

    app.get(
      '/api/v1/lessons/:id',
      {
        preHandler: optionalUser(),
        schema: {
          tags: ['catalog'],
          summary:
            'A lesson with its content: free previews for anyone, the rest for enrolled students, the instructor and admins (anyone)',
          security: optionalSecurity,
          params: z.object({ id }),
          response: {
            200: lessonContentSchema,
            400: errorResponseSchema,
            401: errorResponseSchema,
            403: errorResponseSchema,
            404: errorResponseSchema,
          },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'private, no-store');
        return catalog.lesson(request.params.id, request.principal);
      },
    );

    app.get(
      '/api/v1/lessons/:id/attachments/:attachmentId/download',
      {
        preHandler: optionalUser(),
        schema: {
          tags: ['catalog'],
          summary: "A five-minute download link for a lesson's attachment (enrolled student, course instructor, admin)",
          security: optionalSecurity,
          params: z.object({ id, attachmentId: id }),
          response: {
            200: downloadLinkSchema,
            400: errorResponseSchema,
            401: errorResponseSchema,
            403: errorResponseSchema,
            404: errorResponseSchema,
          },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'private, no-store');
        return catalog.attachmentDownload(request.params.id, request.params.attachmentId, request.principal);
      },
    );

    // Processed cover images. Each URL names a version that never changes, so browsers and CDNs
    // may keep the file for a year. Not part of the JSON API, hence hidden from OpenAPI.
    app.get(
      '/media/covers/:courseId/:variant/:file',
      {
        schema: {
          hide: true,
          params: z.object({
            courseId: id,
            variant: z.string().regex(/^v\d{1,9}-w\d{3,4}$/),
            file: z.string().regex(/^(320|640|960|1280)\.(webp|jpg)$/),
          }),
        },
      },
      async (request, reply) => {
        const { courseId, variant, file } = request.params;
        const image = await catalog.coverFile(courseId, variant, file);
        reply.header('content-type', image.contentType);
        reply.header('cache-control', 'public, max-age=31536000, immutable');
        // Served from our origin to other origins' pages too (an embedded card, a link preview).
        reply.header('cross-origin-resource-policy', 'cross-origin');
        return reply.send(image.body);
      },
    );
  };
}
