import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission } from '../../http/auth.js';
import { AppError, errorResponseSchema } from '../../http/errors.js';
import {
  attachmentSchema,
  checklistSchema,
  coursePatchSchema,
  courseInputSchema,
  coverImageSchema,
  curriculumInputSchema,
  lessonInputSchema,
  lessonPatchSchema,
  paged,
  pageQuery,
  sectionInputSchema,
  studioCourseSchema,
  studioCourseSummarySchema,
  studioLessonSchema,
  studioSectionSchema,
} from './schemas.js';
import { ATTACHMENT_MAX_BYTES, COVER_MAX_BYTES, type StudioService } from './studio-service.js';

const security = [{ bearerAuth: [] }];
const tags = ['studio'];
const id = z.string().uuid();
const errors = {
  400: errorResponseSchema,
  401: errorResponseSchema,
  403: errorResponseSchema,
  404: errorResponseSchema,
};
const COVER_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/**
 * The instructor studio. Every route needs an instructor or admin (403 `forbidden` for students);
 * a course, section, lesson or attachment that is not the caller's is a 404 (admins reach all).
 */
export function studioRoutes(studio: StudioService): FastifyPluginAsyncZod {
  return async (app) => {
    const teacher = { preHandler: requirePermission('course.create') };

    app.get(
      '/api/v1/studio/courses',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'My courses, any status, recently changed first (instructor, admin)',
          security,
          querystring: z.object(pageQuery),
          response: { 200: paged(studioCourseSummarySchema), ...errors },
        },
      },
      async (request) => studio.mine(principalOf(request), request.query.page, request.query.pageSize),
    );

    app.post(
      '/api/v1/studio/courses',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'Start a course as a draft; its URL slug comes from the title (instructor, admin)',
          security,
          body: courseInputSchema,
          response: { 201: studioCourseSchema, 422: errorResponseSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await studio.create(principalOf(request), request.body)),
    );

    app.get(
      '/api/v1/studio/courses/:id',
      {
        ...teacher,
        schema: {
          tags,
          summary:
            'Everything about one of my courses: curriculum, checklist, takedown reason (course instructor, admin)',
          security,
          params: z.object({ id }),
          response: { 200: studioCourseSchema, ...errors },
        },
      },
      async (request) => studio.get(principalOf(request), request.params.id),
    );

    app.patch(
      '/api/v1/studio/courses/:id',
      {
        ...teacher,
        schema: {
          tags,
          summary:
            'Edit a course; a published one changes on its page and in search at once (course instructor, admin)',
          security,
          params: z.object({ id }),
          body: coursePatchSchema,
          response: { 200: studioCourseSchema, 422: errorResponseSchema, ...errors },
        },
      },
      async (request) => studio.update(principalOf(request), request.params.id, request.body),
    );

    app.get(
      '/api/v1/studio/courses/:id/checklist',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'What publishing still needs (course instructor, admin)',
          security,
          params: z.object({ id }),
          response: { 200: checklistSchema, ...errors },
        },
      },
      async (request) => studio.checklist(principalOf(request), request.params.id),
    );

    for (const [action, summary] of [
      [
        'publish',
        'Publish a course whose checklist passes; 422 publish_checklist_failed names what is missing (course instructor, admin)',
      ],
      ['unpublish', 'Take a course off the catalog; enrolled students keep access (course instructor, admin)'],
      [
        'archive',
        'Archive a course: off the catalog for good; enrolled students keep access (course instructor, admin)',
      ],
    ] as const) {
      app.post(
        `/api/v1/studio/courses/:id/${action}`,
        {
          ...teacher,
          schema: {
            tags,
            summary,
            security,
            params: z.object({ id }),
            response: { 200: studioCourseSchema, 409: errorResponseSchema, 422: errorResponseSchema, ...errors },
          },
        },
        async (request) => studio[action](principalOf(request), request.params.id),
      );
    }

    app.post(
      '/api/v1/studio/courses/:id/sections',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'Add a section at the end of the curriculum (course instructor, admin)',
          security,
          params: z.object({ id }),
          body: sectionInputSchema,
          response: { 201: studioSectionSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await studio.addSection(principalOf(request), request.params.id, request.body.title)),
    );

    app.patch(
      '/api/v1/studio/sections/:id',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'Rename a section (course instructor, admin)',
          security,
          params: z.object({ id }),
          body: sectionInputSchema,
          response: { 200: studioSectionSchema, ...errors },
        },
      },
      async (request) => studio.renameSection(principalOf(request), request.params.id, request.body.title),
    );

    app.delete(
      '/api/v1/studio/sections/:id',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'Delete a section with its lessons and their files (course instructor, admin)',
          security,
          params: z.object({ id }),
          response: { 204: z.null(), 409: errorResponseSchema, ...errors },
        },
      },
      async (request, reply) => {
        await studio.deleteSection(principalOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/studio/sections/:id/lessons',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'Add a lesson at the end of a section (course instructor, admin)',
          security,
          params: z.object({ id }),
          body: lessonInputSchema,
          response: { 201: studioLessonSchema, ...errors },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await studio.addLesson(principalOf(request), request.params.id, request.body)),
    );

    app.patch(
      '/api/v1/studio/lessons/:id',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'Edit a lesson: title, type, free preview, duration, body (course instructor, admin)',
          security,
          params: z.object({ id }),
          body: lessonPatchSchema,
          response: { 200: studioLessonSchema, ...errors },
        },
      },
      async (request) => studio.updateLesson(principalOf(request), request.params.id, request.body),
    );

    app.delete(
      '/api/v1/studio/lessons/:id',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'Delete a lesson and its files (course instructor, admin)',
          security,
          params: z.object({ id }),
          response: { 204: z.null(), 409: errorResponseSchema, ...errors },
        },
      },
      async (request, reply) => {
        await studio.deleteLesson(principalOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.put(
      '/api/v1/studio/courses/:id/curriculum',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'Reorder the whole curriculum at once, moving lessons between sections (course instructor, admin)',
          security,
          params: z.object({ id }),
          body: curriculumInputSchema,
          response: { 200: z.object({ sections: z.array(studioSectionSchema) }), 422: errorResponseSchema, ...errors },
        },
      },
      async (request) => ({ sections: await studio.reorder(principalOf(request), request.params.id, request.body) }),
    );

    app.delete(
      '/api/v1/studio/attachments/:id',
      {
        ...teacher,
        schema: {
          tags,
          summary: "Delete a lesson's attachment (course instructor, admin)",
          security,
          params: z.object({ id }),
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        await studio.deleteAttachment(principalOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    // Raw-body uploads, each in its own context so their body parsers never apply to the JSON routes.
    await app.register(async (scope) => {
      const covers = scope.withTypeProvider<ZodTypeProvider>();
      covers.addContentTypeParser(COVER_TYPES, { parseAs: 'buffer', bodyLimit: COVER_MAX_BYTES }, (_req, body, done) =>
        done(null, body),
      );
      covers.put(
        '/api/v1/studio/courses/:id/cover',
        {
          ...teacher,
          bodyLimit: COVER_MAX_BYTES,
          schema: {
            tags,
            summary:
              'Upload the cover: the raw JPEG, PNG or WebP image as the body, at most 10 MB and 640×360 px; stored as 16:9 WebP and JPEG at 320–1280 px (course instructor, admin)',
            security,
            params: z.object({ id }),
            response: {
              200: coverImageSchema,
              413: errorResponseSchema,
              415: errorResponseSchema,
              422: errorResponseSchema,
              ...errors,
            },
          },
        },
        async (request) => {
          if (!Buffer.isBuffer(request.body)) {
            throw new AppError(
              415,
              'unsupported_media_type',
              'Send the image itself: image/jpeg, image/png or image/webp.',
            );
          }
          return studio.uploadCover(principalOf(request), request.params.id, request.body);
        },
      );
    });

    await app.register(async (scope) => {
      const attachments = scope.withTypeProvider<ZodTypeProvider>();
      // Any file type, streamed to storage as it arrives; the service stops it past 100 MB.
      attachments.removeAllContentTypeParsers();
      attachments.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
      attachments.post(
        '/api/v1/studio/lessons/:id/attachments',
        {
          ...teacher,
          schema: {
            tags,
            summary:
              'Attach a file to a lesson: the raw file as the body (at most 100 MB), its name in ?fileName= (course instructor, admin)',
            security,
            params: z.object({ id }),
            querystring: z.object({ fileName: z.string().min(1).max(400) }),
            response: { 201: attachmentSchema, 413: errorResponseSchema, ...errors },
          },
        },
        async (request, reply) => {
          const declared = Number(request.headers['content-length'] ?? 0);
          if (!(request.body instanceof Readable)) {
            throw new AppError(400, 'empty_file', 'Send the file as the request body.');
          }
          if (declared > ATTACHMENT_MAX_BYTES) {
            request.body.resume();
            throw new AppError(413, 'payload_too_large', 'An attachment may be at most 100 MB.', {
              maxBytes: ATTACHMENT_MAX_BYTES,
            });
          }
          const created = await studio.addAttachment(principalOf(request), request.params.id, {
            fileName: request.query.fileName,
            contentType: request.headers['content-type'],
            body: request.body,
          });
          return reply.status(201).send(created);
        },
      );
    });
  };
}
