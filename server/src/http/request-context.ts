import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { LOG_LINE_REDACTED, redactString, withLogContext } from '../platform/telemetry/logger.js';
import { tracer } from '../platform/telemetry/tracing.js';

/**
 * Fastify's own per-request lines ("incoming request", "request completed", "route not found")
 * are replaced by the one line registerRequestContext writes, which knows the route pattern and
 * the level. Its other lines (stream and serializer errors) stay.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(): void {}
  override routeNotFound(): void {}
}

/**
 * One request, one id, one trace: a server span continuing the caller's `traceparent` (the load
 * balancer's or another service's), made active with the request id for everything the request
 * runs, so every log line and every query, cache command and queued job of the request lands in
 * it. Ends with the one INFO line per request (ERROR for a 5xx). Registered before any other hook.
 */
export function registerRequestContext(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>();

  app.addHook('onRequest', (request, _reply, done) => {
    const headers = request.headers;
    // Most requests carry no trace context: skip the propagator's parsing for them.
    const parent =
      headers.traceparent === undefined && headers.baggage === undefined
        ? ROOT_CONTEXT
        : propagation.extract(ROOT_CONTEXT, headers);
    const span = tracer().startSpan(request.method, { kind: SpanKind.SERVER }, parent);
    // Without an exporter (or when the caller's trace is not sampled) the span only carries ids
    // for the logs: its attributes would be thrown away, so they are not computed.
    if (span.isRecording()) {
      span.setAttributes({
        'http.request.method': request.method,
        'client.address': request.ip,
        'lectio.request_id': request.id,
      });
    }
    spans.set(request, span);
    withLogContext({ requestId: request.id }, () => context.with(trace.setSpan(parent, span), done));
  });

  app.addHook('onError', (request, _reply, error, done) => {
    spans.get(request)?.recordException(error);
    done();
  });

  /** `reply` is undefined when the client went away before an answer (onRequestAbort). */
  const finish = (request: FastifyRequest, reply: FastifyReply | undefined) => {
    const aborted = reply === undefined;
    const span = spans.get(request);
    // Both onRequestAbort and onResponse may fire for one request: the first one tells.
    if (!span) return;
    spans.delete(request);
    const route = request.routeOptions.url;
    const status = reply?.statusCode ?? 499;
    const log = request.log;
    const level = aborted ? 'info' : status >= 500 ? 'error' : status === 429 ? 'warn' : 'info';
    const recording = span.isRecording();
    // The app's logger is pino (buildApp takes a pino Logger), which can say whether a level is on;
    // a logger without the method is assumed to write everything.
    const logging = (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.(level) ?? true;
    // The path is redacted once, for the span and the line alike (signed media paths carry tokens).
    const url = recording || logging ? redactString(request.url.split('?')[0] ?? '') : '';
    if (recording) {
      // The route pattern, never the raw URL: names stay few and carry no ids or tokens.
      if (route) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('url.path', url);
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
    if (!logging) return;
    const spanContext = span.spanContext();
    // Every field is safe as it stands (the url was redacted above), so the logger's recursive
    // redaction and its mixin are skipped for this, the commonest line: it carries its ids itself.
    const line = {
      [LOG_LINE_REDACTED]: true,
      requestId: request.id,
      ...(trace.isSpanContextValid(spanContext) ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : {}),
      method: request.method,
      url,
      route,
      statusCode: status,
      ...(reply ? { durationMs: Math.round(reply.elapsedTime * 10) / 10 } : {}),
    };
    if (aborted) log.info(line, 'request aborted by the client');
    else if (level === 'error') log.error(line, 'request failed');
    else if (level === 'warn') log.warn(line, 'request rate-limited');
    else log.info(line, 'request completed');
  };
  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request, undefined);
    done();
  });
}
