import path from 'node:path';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { withLogContext } from './logger.js';

/**
 * OpenTelemetry for Lectio. The SDK is registered once per process (`startTracing`, from the CLI);
 * adapters and the HTTP layer create spans through the global `@opentelemetry/api`, which does
 * nothing until a provider is registered, so libraries, tests and tools that never start tracing
 * pay nothing.
 *
 * Why spans are made at our ports rather than by the pg/ioredis/http auto-instrumentations: those
 * patch modules as they are `require`d, and Lectio is ESM, where that needs a loader hook
 * (import-in-the-middle) registered before the first import of pg or ioredis. That holds for
 * `node --import …` but not inside vitest's module runner, and it breaks silently when the entry
 * point changes. The database, cache, queue and media adapters are few and all ours, so they
 * wrap their own clients (`traceQueries`, `traceRedisCommands`, `runJobInTrace`, `inSpan`): the
 * same spans on PGlite and PostgreSQL, on both queue backends, in every process and every test.
 */

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`); traces go to `<endpoint>/v1/traces`. */
  otlpEndpoint?: string;
  /** Receives every span as it ends (tests: an InMemorySpanExporter). */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** Whether spans are recorded and sent anywhere; without, trace ids are still made for the logs. */
  readonly exporting: boolean;
  forceFlush(): Promise<void>;
  /** Flushes what is buffered and unregisters the SDK. */
  shutdown(): Promise<void>;
}

const TRACER_NAME = 'lectio';

/**
 * Registers the SDK: W3C trace context in and out (`traceparent`), async context that follows
 * awaits, and the exporter when one is configured. With no exporter every span is "not sampled":
 * no span is recorded, but each request and job still gets a trace id (from the caller's
 * `traceparent`, or a new one), so log lines correlate across services at almost no cost.
 * A second call replaces the first registration (tests start it per file).
 */
export function startTracing(options: TracingOptions): Tracing {
  trace.disable();
  context.disable();
  propagation.disable();
  const spanProcessors: SpanProcessor[] = [];
  if (options.exporter) spanProcessors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
  if (options.otlpEndpoint) {
    const url = new URL(
      'v1/traces',
      options.otlpEndpoint.endsWith('/') ? options.otlpEndpoint : `${options.otlpEndpoint}/`,
    );
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: url.toString() }) }));
  }
  const exporting = spanProcessors.length > 0;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    // A caller's sampling decision is kept; our own roots are sampled only when spans go somewhere.
    sampler: new ParentBasedSampler({ root: exporting ? new AlwaysOnSampler() : new AlwaysOffSampler() }),
    spanProcessors,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);
  let stopped: Promise<void> | undefined;
  return {
    exporting,
    forceFlush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= provider.shutdown().finally(() => {
        trace.disable();
        context.disable();
        propagation.disable();
      });
      return stopped;
    },
  };
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** The active trace's ids, for log lines; undefined outside a trace. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}

/**
 * Whether a client call (query, Redis command) should get a span: only inside a recorded trace.
 * Pollers and heartbeats run outside any request or job, and a root span per poll would bury the
 * traces that matter.
 */
function insideRecordedTrace(): boolean {
  return trace.getActiveSpan()?.isRecording() === true;
}

function endWithError(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}

/** Runs `fn` in a child span of the active context; a throw marks the span failed and is rethrown. */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
  );
  try {
    const result = await context.with(trace.setSpan(parent, span), () => fn(span));
    span.end();
    return result;
  } catch (error) {
    endWithError(span, error);
    throw error;
  }
}

// --- propagation into queued jobs ---------------------------------------------------------------

/** W3C headers (`traceparent`, `tracestate`, `baggage`) as stored beside a queued job. */
export type TraceCarrier = Record<string, string>;

/** The active context as headers; undefined outside a trace (a cron tick starts its own). */
export function currentTraceCarrier(): TraceCarrier | undefined {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length ? carrier : undefined;
}

/** Reads a stored carrier back, tolerating anything (a row written by an older version, a hand edit). */
export function parseTraceCarrier(value: unknown): TraceCarrier | undefined {
  let candidate = value;
  if (typeof candidate === 'string') {
    try {
      candidate = JSON.parse(candidate) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!candidate || typeof candidate !== 'object') return undefined;
  const carrier: TraceCarrier = {};
  for (const [key, v] of Object.entries(candidate)) if (typeof v === 'string') carrier[key] = v;
  return carrier.traceparent ? carrier : undefined;
}

export interface JobSpanInfo {
  name: string;
  queue: string;
  /** `embedded` or `bullmq`. */
  backend: string;
}

/**
 * Wraps an enqueue in a producer span and hands `add` the carrier to store with the job, taken
 * inside that span so the job's span becomes its child. Outside a trace (a cron tick, a CLI) no
 * span is made and the job starts a trace of its own.
 */
export async function traceEnqueue<T>(job: JobSpanInfo, add: (carrier: TraceCarrier | undefined) => Promise<T>) {
  if (!trace.getActiveSpan()) return add(undefined);
  return inSpan(
    `enqueue ${job.name}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': job.backend,
        'messaging.operation.type': 'send',
        'messaging.destination.name': job.queue,
        'lectio.job.name': job.name,
      },
    },
    async () => add(currentTraceCarrier()),
  );
}

/**
 * Runs a job's handler in a consumer span that continues the trace of the request (or job) that
 * enqueued it, and with the job in the log context, so every log line the handler writes carries
 * the job id and that trace id.
 */
export function runJobInTrace<T>(
  job: JobSpanInfo & { id: string; attempt: number },
  carrier: TraceCarrier | undefined,
  handle: () => Promise<T>,
): Promise<T> {
  const parent = carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
  return inSpan(
    `job ${job.name}`,
    {
      kind: SpanKind.CONSUMER,
      parent,
      attributes: {
        'messaging.system': job.backend,
        'messaging.operation.type': 'process',
        'messaging.destination.name': job.queue,
        'messaging.message.id': job.id,
        'lectio.job.name': job.name,
        'lectio.job.attempt': job.attempt,
      },
    },
    () => withLogContext({ jobId: job.id, job: job.name, attempt: job.attempt }, handle),
  );
}

// --- database and cache clients -----------------------------------------------------------------

const MAX_STATEMENT_CHARS = 2_000;

function statementOf(query: unknown): string | undefined {
  if (typeof query === 'string') return query;
  if (query && typeof query === 'object' && typeof (query as { text?: unknown }).text === 'string') {
    return (query as { text: string }).text;
  }
  return undefined;
}

type QueryFunction = (...args: unknown[]) => unknown;

/**
 * Gives every query of a driver client (pg's Client, PGlite or its transaction) a client span:
 * the statement as Drizzle sent it (with $n placeholders: parameter values are never recorded,
 * they may be passwords or tokens). Handles the promise and the callback form (pg's pool uses
 * the latter); anything else (a cursor, a Submittable) passes through untouched.
 */
export function traceQueries(client: { query: QueryFunction }, attributes: Attributes): void {
  const original = client.query;
  client.query = function tracedQuery(this: unknown, ...args: unknown[]) {
    const statement = statementOf(args[0]);
    if (statement === undefined || !insideRecordedTrace()) return original.apply(this, args);
    const operation = /^\s*(\w+)/.exec(statement)?.[1]?.toUpperCase() ?? 'QUERY';
    const span = tracer().startSpan(operation, {
      kind: SpanKind.CLIENT,
      attributes: {
        ...attributes,
        'db.operation.name': operation,
        'db.query.text':
          statement.length > MAX_STATEMENT_CHARS ? `${statement.slice(0, MAX_STATEMENT_CHARS)}…` : statement,
      },
    });
    const callbackAt = args.findIndex((a) => typeof a === 'function');
    if (callbackAt >= 0) {
      const callback = args[callbackAt] as (error: unknown, ...rest: unknown[]) => void;
      args[callbackAt] = (error: unknown, ...rest: unknown[]) => {
        if (error) endWithError(span, error);
        else span.end();
        callback(error, ...rest);
      };
      return original.apply(this, args);
    }
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      endWithError(span, error);
      throw error;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => span.end(),
        (error: unknown) => endWithError(span, error),
      );
    } else {
      span.end();
    }
    return result;
  };
}

/** Traces PGlite's queries, its exec() and the queries of its transactions. */
export function tracePglite(client: { query: QueryFunction; exec: QueryFunction; transaction: QueryFunction }): void {
  const attributes = { 'db.system.name': 'postgresql', 'lectio.db.backend': 'pglite' };
  traceQueries(client, attributes);
  const exec = { query: client.exec };
  traceQueries(exec, attributes);
  client.exec = exec.query;
  const transaction = client.transaction;
  client.transaction = function tracedTransaction(this: unknown, ...args: unknown[]) {
    const callback = args[0];
    if (typeof callback === 'function') {
      args[0] = (tx: { query: QueryFunction }) => {
        traceQueries(tx, attributes);
        return (callback as (tx: unknown) => unknown)(tx);
      };
    }
    return transaction.apply(this, args);
  };
}

/**
 * Gives every command an ioredis client sends a client span named after the command. Only the
 * command name is recorded: keys and values may hold tokens, sessions or personal data.
 */
export function traceRedisCommands(
  redis: { sendCommand: (command: never, ...rest: never[]) => unknown },
  attributes: Attributes = {},
): void {
  const original = redis.sendCommand as unknown as (command: { name?: string }, ...rest: unknown[]) => unknown;
  const traced = function tracedSendCommand(this: unknown, command: { name?: string }, ...rest: unknown[]) {
    if (!insideRecordedTrace()) return original.call(this, command, ...rest);
    const name = (command?.name ?? 'command').toUpperCase();
    const span = tracer().startSpan(name, {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'redis', 'db.operation.name': name, ...attributes },
    });
    let result: unknown;
    try {
      result = original.call(this, command, ...rest);
    } catch (error) {
      endWithError(span, error);
      throw error;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => span.end(),
        (error: unknown) => endWithError(span, error),
      );
    } else {
      span.end();
    }
    return result;
  };
  (redis as unknown as { sendCommand: typeof traced }).sendCommand = traced;
}

// --- external tools -------------------------------------------------------------------------------

/** ffmpeg, ffprobe or whatever wrapper runs them (tests use a shell script), by a stable name. */
export function toolSpanName(command: string): string {
  const base = path.basename(command);
  if (/ffprobe/i.test(base)) return 'ffprobe';
  if (/ffmpeg/i.test(base)) return 'ffmpeg';
  return base;
}
