import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HealthService } from './service.js';

const checkSchema = z.object({
  backend: z.string(),
  status: z.enum(['up', 'down']),
  latencyMs: z.number(),
  error: z.string().optional(),
});

const readinessSchema = z
  .object({
    status: z.enum(['ok', 'degraded', 'down']),
    checks: z.record(z.string(), checkSchema),
  })
  .meta({ id: 'Readiness' });

/** Public: load balancers and uptime checks call these without credentials. */
export function healthRoutes(health: HealthService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/health/live',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['health'],
          summary: 'The process is running',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/health/ready',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['health'],
          summary: 'Each port with its backend and status; 503 only when the database is unreachable',
          response: { 200: readinessSchema, 503: readinessSchema },
        },
      },
      async (_request, reply) => {
        const report = await health.readiness();
        reply.header('cache-control', 'no-store');
        return reply.status(report.status === 'down' ? 503 : 200).send(report);
      },
    );
  };
}
