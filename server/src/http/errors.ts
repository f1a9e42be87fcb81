import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../modules/app-error.js';

export { AppError };

/** The one error shape every endpoint answers with. */
export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().describe('Machine-readable, stable: branch on this, not on the message.'),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'ErrorResponse' });

export type ErrorResponse = z.infer<typeof errorResponseSchema>;

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorResponse {
  return { error: details ? { code, message, details } : { code, message } };
}

const DATABASE_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08006', '08001']);

function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string; cause?: unknown };
  if (e?.code && DATABASE_DOWN_CODES.has(e.code)) return true;
  if (
    typeof e?.message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated/i.test(e.message)
  ) {
    return true;
  }
  return e?.cause !== undefined && e.cause !== error && isDatabaseUnavailable(e.cause);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      // Services say how long to wait in details; clients and proxies read it from the header.
      const retryAfter = error.details?.retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
      return reply.status(error.statusCode).send(errorBody(error.code, error.message, error.details));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      return reply.status(400).send(
        errorBody('validation_failed', 'The request is not valid.', {
          issues: error.validation.map((v) => ({
            in: error.validationContext ?? 'body',
            path: v.instancePath,
            message: v.message ?? 'invalid',
          })),
        }),
      );
    }
    if (error.statusCode === 429) {
      return reply.status(429).send(errorBody('rate_limited', 'Too many requests. Try again later.'));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send(errorBody('payload_too_large', 'The request body is too large.'));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.status(415).send(errorBody('unsupported_media_type', 'This content type is not accepted.'));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return reply.status(400).send(errorBody('invalid_json', 'The request body is not valid JSON.'));
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      return reply
        .status(503)
        .header('retry-after', '5')
        .send(errorBody('service_unavailable', 'The service is briefly unavailable. Try again shortly.'));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply
        .status(error.statusCode)
        .send(errorBody(error.code ? error.code.toLowerCase() : 'bad_request', error.message));
    }
    // Anything else is our bug: log it whole, tell the client nothing about the internals.
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(errorBody('internal_error', 'Something went wrong on our side.'));
  });
}
