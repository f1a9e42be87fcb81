import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission, requireUser } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import { coverImageSchema } from '../catalog/schemas.js';
import type { ProgressService } from './service.js';

const security = [{ bearerAuth: [] }];
const errors = { 400: errorResponseSchema, 401: errorResponseSchema, 403: errorResponseSchema };
const seconds = z.number().min(0).max(1e6);

const heartbeatSchema = z.object({
  sessionId: z.uuid().describe('The playback session the grant returned'),
  positionSeconds: seconds,
  watched: z
    .array(z.tuple([seconds, seconds]))
    .max(50)
    .describe('[start, end] ranges (seconds) played since the previous report'),
  playbackRate: z.number().min(0.5).max(2),
  event: z.enum(['tick', 'pause', 'seek', 'ended', 'hidden']),
});

const certificateRefSchema = z.object({ code: z.string(), url: z.string() }).nullable();

const courseProgressSchema = z
  .object({
    courseId: z.uuid(),
    completedLessons: z.number().int(),
    totalLessons: z.number().int(),
    percent: z.number().int(),
    completedAt: z.string().datetime().nullable(),
    certificate: certificateRefSchema,
    lessons: z.array(
      z.object({
        lessonId: z.uuid(),
        completed: z.boolean(),
        positionSeconds: z.number(),
        watchedSeconds: z.number(),
        durationSeconds: z.number(),
      }),
    ),
  })
  .meta({ id: 'CourseProgress' });

const myLearningSchema = z
  .object({
    continueWatching: z.array(
      z.object({
        courseId: z.uuid(),
        courseSlug: z.string(),
        courseTitle: z.string(),
        lessonId: z.uuid(),
        lessonTitle: z.string(),
        positionSeconds: z.number(),
        durationSeconds: z.number(),
        updatedAt: z.string().datetime(),
        cover: coverImageSchema.nullable(),
      }),
    ),
    courses: z.object({
      items: z.array(
        z.object({
          courseId: z.uuid(),
          slug: z.string(),
          title: z.string(),
          cover: coverImageSchema.nullable(),
          completedLessons: z.number().int(),
          totalLessons: z.number().int(),
          percent: z.number().int(),
          lastActivityAt: z.string().datetime().nullable(),
          completedAt: z.string().datetime().nullable(),
          certificate: certificateRefSchema,
        }),
      ),
      total: z.number().int(),
      page: z.number().int(),
      pageSize: z.number().int(),
    }),
  })
  .meta({ id: 'MyLearning' });

const courseAnalyticsSchema = z
  .object({
    students: z.number().int().describe('Actively enrolled students'),
    completedStudents: z.number().int(),
    lessons: z.array(
      z.object({
        lessonId: z.uuid(),
        title: z.string(),
        type: z.enum(['video', 'text', 'attachment']),
        durationSeconds: z.number(),
        viewers: z.number().int(),
        completions: z.number().int(),
        completionRate: z.number().describe('completions ÷ students, 0–1'),
      }),
    ),
  })
  .meta({ id: 'CourseAnalytics' });

const retentionSchema = z
  .object({
    lessonId: z.uuid(),
    durationSeconds: z.number(),
    viewers: z.number().int(),
    points: z.array(
      z.object({
        second: z.number(),
        share: z.number().describe('Fraction (0–1) of viewers whose watched ranges cover this second'),
      }),
    ),
  })
  .meta({ id: 'LessonRetention' });

/** Heartbeats, completion, the student's progress pages and the instructor's learning analytics. */
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
