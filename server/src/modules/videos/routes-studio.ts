import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import { paged, pageQuery } from '../catalog/schemas.js';
import {
  partUrlsInputSchema,
  partUrlsSchema,
  recordPartInputSchema,
  studioVideoSchema,
  uploadInputSchema,
  uploadStartedSchema,
  uploadStateSchema,
  videoListQuery,
} from './schemas.js';
import { PART_CALLS_PER_MINUTE } from './limits.js';
import type { VideoUploadService } from './upload-service.js';
import type { VideoService } from './video-service.js';

const security = [{ bearerAuth: [] }];
const tags = ['studio'];
const params = z.object({ id: z.string().uuid() });
const errors = {
  400: errorResponseSchema,
  401: errorResponseSchema,
  403: errorResponseSchema,
  404: errorResponseSchema,
};

/**
 * The studio's videos: resumable direct uploads and the instructor's library. Every route needs an
 * instructor or admin (403 `forbidden` for students); a video that is not the caller's is a 404
 * `video_not_found` (admins reach all).
 */
export function videoStudioRoutes(uploads: VideoUploadService, videos: VideoService): FastifyPluginAsyncZod {
  return async (app) => {
    const teacher = { preHandler: requirePermission('course.create') };
    const perPart = { ...teacher, config: { rateLimit: { max: PART_CALLS_PER_MINUTE, timeWindow: 60_000 } } };

    app.post(
      '/api/v1/studio/videos/uploads',
      {
        ...teacher,
        schema: {
          tags,
          summary:
            'Start a resumable upload (201), or resume my open upload of the same file (200, with the parts already stored) (instructor, admin)',
          security,
          body: uploadInputSchema,
          response: {
            200: uploadStartedSchema,
            201: uploadStartedSchema,
            409: errorResponseSchema,
            413: errorResponseSchema,
            422: errorResponseSchema,
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const { resumed, video, upload } = await uploads.start(principalOf(request), request.body);
        return reply.status(resumed ? 200 : 201).send({ video, upload });
      },
    );

    app.get(
      '/api/v1/studio/videos',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'My videos, newest first; aborted uploads are left out (instructor, admin)',
          security,
          querystring: z.object({ ...pageQuery, ...videoListQuery }),
          response: { 200: paged(studioVideoSchema), ...errors },
        },
      },
      async (request) =>
        videos.mine(principalOf(request), request.query.page, request.query.pageSize, request.query.status),
    );

    app.get(
      '/api/v1/studio/videos/:id',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'One of my videos: status, processing percent, failure reason, renditions (video owner, admin)',
          security,
          params,
          response: { 200: studioVideoSchema, ...errors },
        },
      },
      async (request) => videos.get(principalOf(request), request.params.id),
    );

    app.delete(
      '/api/v1/studio/videos/:id',
      {
        ...teacher,
        schema: {
          tags,
          summary:
            'Delete a video and its files; 409 video_in_use while a published course shows it (video owner, admin)',
          security,
          params,
          response: { 204: z.null(), 409: errorResponseSchema, ...errors },
        },
      },
      async (request, reply) => {
        await videos.delete(principalOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/v1/studio/videos/:id/upload',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'An open upload: its part size and count, and the parts stored so far (video owner, admin)',
          security,
          params,
          response: { 200: uploadStateSchema, 409: errorResponseSchema, ...errors },
        },
      },
      async (request) => uploads.uploadState(principalOf(request), request.params.id),
    );

    app.post(
      '/api/v1/studio/videos/:id/upload/part-urls',
      {
        ...perPart,
        schema: {
          tags,
          summary:
            'Presigned PUT URLs (valid 1 hour) for up to 100 parts; the browser sends each part straight to storage (video owner, admin)',
          security,
          params,
          body: partUrlsInputSchema,
          response: { 200: partUrlsSchema, 409: errorResponseSchema, ...errors },
        },
      },
      async (request) => uploads.partUrls(principalOf(request), request.params.id, request.body.partNumbers),
    );

    app.post(
      '/api/v1/studio/videos/:id/upload/parts',
      {
        ...perPart,
        schema: {
          tags,
          summary:
            'Record a part the browser stored, with the ETag its PUT answered; 400 invalid_part when its number or size is not the plan’s (video owner, admin)',
          security,
          params,
          body: recordPartInputSchema,
          response: { 204: z.null(), 409: errorResponseSchema, ...errors },
        },
      },
      async (request, reply) => {
        await uploads.recordPart(principalOf(request), request.params.id, request.body);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/studio/videos/:id/upload/complete',
      {
        ...teacher,
        schema: {
          tags,
          summary:
            'Join the parts and start processing; 409 upload_incomplete lists missing parts; a video already past uploading is answered as it is (video owner, admin)',
          security,
          params,
          response: { 200: studioVideoSchema, 409: errorResponseSchema, 422: errorResponseSchema, ...errors },
        },
      },
      async (request) => uploads.complete(principalOf(request), request.params.id),
    );

    app.delete(
      '/api/v1/studio/videos/:id/upload',
      {
        ...teacher,
        schema: {
          tags,
          summary: 'Cancel an open upload: storage drops its parts, the video becomes aborted (video owner, admin)',
          security,
          params,
          response: { 204: z.null(), 409: errorResponseSchema, ...errors },
        },
      },
      async (request, reply) => {
        await uploads.abort(principalOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
