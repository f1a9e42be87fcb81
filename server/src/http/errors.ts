import type { Duplex } from 'node:stream';
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
    /timeout exceeded when trying to connect|Connection terminated|connection error and is not queryable/i.test(
      e.message,
    )
  ) {
    return true;
  }
  return e?.cause !== undefined && e.cause !== error && isDatabaseUnavailable(e.cause);
}

/**
 * SQLSTATE class 22, "data exception": a value the database cannot hold (a number past its column,
 * text it cannot encode). Schemas should stop these first; this keeps one a schema missed a 400.
 */
function isDataException(error: unknown, depth = 0): boolean {
  const e = error as { code?: unknown; cause?: unknown };
  if (typeof e?.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code)) return true;
  return depth < 5 && e?.cause !== undefined && e.cause !== error && isDataException(e.cause, depth + 1);
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
    if (isDataException(error)) {
      // Logged as an error all the same: it means a schema lets through what the database refuses.
      request.log.error({ err: error }, 'database refused a value');
      return reply
        .status(400)
        .send(errorBody('invalid_input', 'A value in the request is out of range or not valid text.'));
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

/**
 * Errors Fastify answers before any route runs (a malformed URL escape, a path parameter past the
 * router's limit): without this they would leave in Fastify's own shape, not the API's.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.status(414).send(errorBody('uri_too_long', 'A part of the URL is too long.'));
    return;
  }
  void reply.status(400).send(errorBody('bad_url', 'The URL is not valid.'));
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'The request headers are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request took too long to arrive.'],
};

/**
 * Requests Node's HTTP parser rejects before Fastify sees them (headers past the size limit, a
 * timed-out or malformed request): answered in the API's error shape, then the socket is closed,
 * since the rest of what arrives on it cannot be trusted to be a request.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'bad_request', 'The request is malformed.'];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};
