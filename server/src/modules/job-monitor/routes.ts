import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import { JOB_STATES, QUEUE_NAMES } from '../../platform/queue/port.js';
import { pagingQuery } from '../users/schemas.js';
import type { JobMonitorService } from './service.js';

const security = [{ bearerAuth: [] }];
const denied = { 401: errorResponseSchema, 403: errorResponseSchema };
const queueParam = z.enum(QUEUE_NAMES);
// BullMQ ids: numbers, our `dedupe-…` ids, and `repeat:…` ids of scheduled ticks.
const jobParams = z.object({ queue: queueParam, id: z.string().regex(/^[A-Za-z0-9:%._-]{1,200}$/) });

const countsSchema = z.object({
  queue: queueParam,
  waiting: z.number().int(),
  active: z.number().int(),
  delayed: z.number().int(),
  failed: z.number().int(),
  completed: z.number().int(),
  oldestWaitingSeconds: z.number().int(),
});

const jobSchema = z.object({
  id: z.string(),
  queue: queueParam,
  name: z.string(),
  state: z.enum(JOB_STATES),
  attemptsMade: z.number().int(),
  maxAttempts: z.number().int(),
  error: z.string().nullable(),
  createdAt: z.string().datetime(),
  finishedAt: z.string().datetime().nullable(),
});

/** The job monitor (/admin/jobs): admins only, others get 403 `forbidden`. */
export function jobMonitorRoutes(monitor: JobMonitorService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/admin/jobs',
      {
        preHandler: requirePermission('admin.jobs.read'),
        schema: {
          tags: ['admin'],
          summary: 'Jobs per queue and state, and how long the oldest waiting job has waited (admin)',
          security,
          response: {
            200: z.object({ backend: z.enum(['embedded', 'bullmq']), queues: z.array(countsSchema) }),
            ...denied,
          },
        },
      },
      async () => monitor.overview(),
    );

    app.get(
      '/api/v1/admin/jobs/:queue',
      {
        preHandler: requirePermission('admin.jobs.read'),
        schema: {
          tags: ['admin'],
          summary: "A page of one queue's jobs in one state; failed and completed newest first (admin)",
          security,
          params: z.object({ queue: queueParam }),
          querystring: z.object({ state: z.enum(JOB_STATES).default('failed'), ...pagingQuery }),
          response: {
            200: z.object({
              items: z.array(jobSchema),
              total: z.number().int(),
              page: z.number().int(),
              pageSize: z.number().int(),
            }),
            400: errorResponseSchema,
            ...denied,
          },
        },
      },
      async (request) => monitor.list({ queue: request.params.queue, ...request.query }),
    );

    app.post(
      '/api/v1/admin/jobs/:queue/:id/retry',
      {
        preHandler: requirePermission('admin.jobs.manage'),
        schema: {
          tags: ['admin'],
          summary: 'Run a failed job again with a fresh set of attempts (admin)',
          security,
          params: jobParams,
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
        await monitor.retry(principalOf(request).userId, request.params.queue, request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.delete(
      '/api/v1/admin/jobs/:queue/:id',
      {
        preHandler: requirePermission('admin.jobs.manage'),
        schema: {
          tags: ['admin'],
          summary: 'Remove a failed or completed job (admin)',
          security,
          params: jobParams,
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
        await monitor.remove(principalOf(request).userId, request.params.queue, request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
