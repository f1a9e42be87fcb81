import { z } from 'zod';
import { coverImageSchema } from '../catalog/schemas.js';

// Request and response shapes of the progress routes (named in OpenAPI, hence in the web's types).
const seconds = z.number().min(0).max(1e6);

export const heartbeatSchema = z.object({
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

export const courseProgressSchema = z
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

export const myLearningSchema = z
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

export const courseAnalyticsSchema = z
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

export const retentionSchema = z
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
