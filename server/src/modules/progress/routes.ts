import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission, requireUser } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import {
  heartbeatSchema,
  courseProgressSchema,
  myLearningSchema,
  courseAnalyticsSchema,
  retentionSchema,
} from './schemas.js';
import type { ProgressService } from './service.js';

const security = [{ bearerAuth: [] }];
const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema };
export function progressRoutes(progress: ProgressService): FastifyPluginAsyncZod {
  return async (app) => {
    const signedIn = { preHandler: requireUser() };
    const teacher = { preHandler: requirePermission('course.create') };

    app.post(
      '/api/v1/lessons/:lessonId/progress',
      {
        ...signedIn,
        schema: {
          tags: ['progress'],
          summary:
            'Report what the player played since its last report, every 10 s and on pause, seek, end and hide (enrolled student, course instructor, admin)',
          security,
          params: z.object({ lessonId: z.uuid() }),
          body: heartbeatSchema,
          response: {
            202: z.object({ completed: z.boolean() }),
            404: errorResponseSchema,
            409: errorResponseSchema,
            422: errorResponseSchema,
            ...errors,
          },
        },
      },
      async (request, reply) =>
        reply.status(202).send(await progress.heartbeat(principalOf(request), request.params.lessonId, request.body)),
    );

    app.post(
      '/api/v1/lessons/:lessonId/progress/opened',
      {
        ...signedIn,
        schema: {
          tags: ['progress'],
          summary:
            'A text or attachment lesson was opened, which completes it (enrolled student, course instructor, admin)',
          security,
          params: z.object({ lessonId: z.uuid() }),
          response: { 204: z.null(), 404: errorResponseSchema, 409: errorResponseSchema, ...errors },
        },
      },
      async (request, reply) => {
        await progress.opened(principalOf(request), request.params.lessonId);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/v1/courses/:courseId/progress',
      {
        ...signedIn,
        schema: {
          tags: ['progress'],
          summary: 'My progress in a course, lesson by lesson (enrolled student, course instructor, admin)',
          security,
          params: z.object({ courseId: z.uuid() }),
          response: { 200: courseProgressSchema, 404: errorResponseSchema, ...errors },
        },
      },
      async (request) => progress.courseProgress(principalOf(request), request.params.courseId),
    );

    app.get(
      '/api/v1/me/learning',
      {
        ...signedIn,
        schema: {
          tags: ['me'],
          summary: 'What to continue watching, and my courses with their progress (signed-in user)',
          security,
          querystring: z.object({
            page: z.coerce.number().int().min(1).max(10_000).default(1),
            pageSize: z.coerce.number().int().min(1).max(50).default(12),
          }),
          response: { 200: myLearningSchema, ...errors },
        },
      },
      async (request) => progress.myLearning(principalOf(request).userId, request.query.page, request.query.pageSize),
    );

    app.get(
      '/api/v1/studio/courses/:courseId/analytics',
      {
        ...teacher,
        schema: {
          tags: ['studio'],
          summary: 'Students, completions and per-lesson completion rates of my course (course instructor, admin)',
          security,
          params: z.object({ courseId: z.uuid() }),
          response: { 200: courseAnalyticsSchema, 404: errorResponseSchema, ...errors },
        },
      },
      async (request) => progress.courseAnalytics(principalOf(request), request.params.courseId),
    );

    app.get(
      '/api/v1/studio/lessons/:lessonId/retention',
      {
        ...teacher,
        schema: {
          tags: ['studio'],
          summary:
            'Share of viewers still watching at each point of a lesson video, from their watched ranges (course instructor, admin)',
          security,
          params: z.object({ lessonId: z.uuid() }),
          querystring: z.object({ points: z.coerce.number().int().min(2).max(500).default(100) }),
          response: { 200: retentionSchema, 404: errorResponseSchema, ...errors },
        },
      },
      async (request) => progress.retention(principalOf(request), request.params.lessonId, request.query.points),
    );
  };
}
