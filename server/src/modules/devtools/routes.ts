import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../http/errors.js';
import { errorResponseSchema } from '../../http/errors.js';
import type { OutboxReader } from '../../platform/mail/outbox.js';

const mailSchema = z
  .object({
    id: z.string().uuid(),
    from: z.string(),
    to: z.array(z.string()),
    subject: z.string(),
    text: z.string(),
    html: z.string().nullable(),
    createdAt: z.string().datetime(),
  })
  .meta({ id: 'DevMail' });

/**
 * The dev mailbox: mail the embedded platform "sent". It exists only in embedded/development
 * mode; the app does not register it in production, and the service refuses it too.
 */
export function devMailboxRoutes(outbox: OutboxReader): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/dev/mailbox',
      {
        schema: {
          tags: ['dev'],
          summary: 'Mail sent by the embedded platform, newest first (development only; anyone)',
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(100).default(20),
            offset: z.coerce.number().int().min(0).max(100_000).default(0),
          }),
          response: {
            200: z.object({ items: z.array(mailSchema), limit: z.number(), offset: z.number() }),
          },
        },
      },
      async (request) => {
        const { limit, offset } = request.query;
        const rows = await outbox.list({ limit, offset });
        return { items: rows.map(toDto), limit, offset };
      },
    );

    app.get(
      '/api/v1/dev/mailbox/:id',
      {
        schema: {
          tags: ['dev'],
          summary: 'One message from the dev mailbox (development only; anyone)',
          params: z.object({ id: z.string().uuid() }),
          response: { 200: mailSchema, 404: errorResponseSchema },
        },
      },
      async (request) => {
        const row = await outbox.get(request.params.id);
        if (!row) throw new AppError(404, 'mail_not_found', 'No such message.');
        return toDto(row);
      },
    );
  };
}

function toDto(row: Awaited<ReturnType<OutboxReader['get']>> & object) {
  return { ...row, createdAt: row.createdAt.toISOString() };
}
