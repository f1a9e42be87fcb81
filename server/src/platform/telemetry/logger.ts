import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import { destination, pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

/**
 * JSON lines on stdout, for any log shipper. Levels follow the design (§6): ERROR is for what a
 * person must look at now (it alerts at once): an unhandled error, a 5xx answer, the database
 * unreachable, a job that failed its last attempt, a background loop that keeps failing. WARN is
 * for trouble the platform absorbed (the daily report): a cache outage served from the database, a
 * job attempt that will be retried, a rate-limited client. INFO is stored only: one line per
 * request, start-up and shutdown. The README ("Logs and traces") lists the fields.
 *
 * Every line written while a request or a job runs carries its `requestId` (or `jobId`) and the
 * active `traceId`/`spanId`, whichever logger wrote it (a service's or the request's), because
 * they come from the async context, not from the logger instance.
 */

export interface LogContext {
  requestId?: string;
  jobId?: string;
  job?: string;
  attempt?: number;
}

const logContext = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with these fields on every log line it writes, across awaits. */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...fields }, fn);
}

export const REDACTED = '[redacted]';

/**
 * Marks a log object whose every field was made safe by its writer (the per-request line: ids,
 * a redacted path, the route pattern, numbers), so the recursive redaction below is skipped for
 * it. Only for objects built field by field from known values, never for anything passed through.
 */
export const LOG_LINE_REDACTED: unique symbol = Symbol('lectio.log.redacted');

/**
 * Keys whose values never reach a log line, at any depth: credentials, session material,
 * signatures. `Idempotency-Key` is not secret (it only deduplicates) and stays readable.
 */
const SECRET_KEY =
  /pass(word|phrase|wd)|secret|token|authori[sz]ation|cookie|signature|credential|api[-_]?key|private[-_]?key|^otp$|csrf/i;

/**
 * Secrets that turn up inside strings: messages, URLs, error texts. Each pattern needs one of the
 * marks MAY_HOLD_SECRET looks for: a new pattern that does not must be added there too.
 */
const SECRET_PATTERNS: [RegExp, string][] = [
  // JWTs (access tokens), wherever they appear.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+/g, REDACTED],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // Playback tokens travel in the path: /media/p/<exp>.<user>.<hmac>/videos/…
  [/\/media\/p\/[^/?#\s"']+/g, `/media/p/${REDACTED}`],
  // A Stripe-Signature header value (t=…,v1=…).
  [/\bt=\d+,v1=[0-9a-f]+[^\s"']*/g, REDACTED],
  // Signed-URL and credential query parameters (X-Amz-Signature, token=, sig=, …).
  [
    /([?&][^=&\s"']*(?:token|signature|sig|secret|password|credential|api[-_]?key)[^=&\s"']*=)[^&#\s"']+/gi,
    `$1${REDACTED}`,
  ],
  // user:password@ in connection URLs (DATABASE_URL, REDIS_URL in an error message).
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s"']*:)[^@/\s"']+@/gi, `$1${REDACTED}@`],
];

/**
 * What every pattern above needs to match: a JWT's `eyJ`, whitespace (`Bearer …`), `=` (a signature
 * header, a query parameter), `@` (credentials in a URL), a playback path. Most strings logged, the
 * per-request line's path above all, hold none of them: one scan instead of six replaces (the six
 * were about a fortieth of a cached answer's CPU).
 */
const MAY_HOLD_SECRET = /eyJ|[\s=@]|\/media\/p\//;

export function redactString(value: string): string {
  return MAY_HOLD_SECRET.test(value) ? redactStringFully(value) : value;
}

/** redactString without its pre-check (the tests hold the two to the same answers). */
export function redactStringFully(value: string): string {
  let out = value;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

const MAX_DEPTH = 8;

/** A copy of `value` with secret keys and secret-looking strings replaced; errors become plain objects. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[depth]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) return redact(stdSerializers.err(value), depth + 1, seen);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen));
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && item !== undefined && item !== null ? REDACTED : redact(item, depth + 1, seen);
  }
  return out;
}

export interface LoggerOptions {
  level: string;
  name: string;
  /** Where lines go; stdout by default. Tests pass a stream to read what a request wrote. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      // The request or job and the trace this line belongs to; a field the call passes wins. The
      // per-request line (LOG_LINE_REDACTED) carries its ids itself: nothing to add to it.
      mixin(object) {
        if (LOG_LINE_REDACTED in object) return {};
        const fields: Record<string, unknown> = { ...logContext.getStore() };
        const spanContext = trace.getActiveSpan()?.spanContext();
        if (spanContext && trace.isSpanContextValid(spanContext)) {
          fields.traceId = spanContext.traceId;
          fields.spanId = spanContext.spanId;
        }
        return fields;
      },
      formatters: {
        // pino's mixin merge (Object.assign) keeps the symbol; JSON output never shows it.
        log: (object) => (LOG_LINE_REDACTED in object ? object : (redact(object) as Record<string, unknown>)),
        bindings: (bindings) => redact(bindings) as Record<string, unknown>,
      },
      hooks: {
        // The message itself may quote a URL or an error text.
        logMethod(args, method) {
          const first: unknown = args[0];
          if (typeof first === 'object' && first !== null && LOG_LINE_REDACTED in first) {
            method.apply(this, args);
            return;
          }
          const cleaned = args.map((arg) => (typeof arg === 'string' ? redactString(arg) : arg));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
      // Signed URLs carry their signature in the query string: log the path only.
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({
          method: req.method,
          url: redactString(req.url.split('?')[0] ?? ''),
          id: req.id,
        }),
      },
    },
    options.destination ?? stdoutLines(),
  );
}

/** Linux's PIPE_BUF: a pipe never interleaves a write of at most this many bytes with another's. */
const PIPE_ATOMIC_BYTES = 4096;

/**
 * Where log lines go: stdout (or `fd`), written without blocking and several lines at a time.
 * - A synchronous write per line (pino's default) was the largest single cost of a cached answer
 *   after the socket write itself; an asynchronous one per line still cost about a twentieth of a
 *   progress report's CPU. Lines are kept until about 3 KB are waiting (about ten requests under
 *   load), and for at most `flushMs` when traffic is light.
 * - A write holds whole lines and at most 4 KB (a longer single line goes alone): the API
 *   processes of a cluster share one stdout, and a pipe keeps such writes whole, so lines of two
 *   processes never mix.
 * - pino writes what is left when the process exits, crash included; only a SIGKILL can lose the
 *   last lines.
 */
export function stdoutLines(fd = 1, flushMs = 100): ReturnType<typeof destination> {
  return destination({
    dest: fd,
    sync: false,
    minLength: PIPE_ATOMIC_BYTES - 1024,
    maxWrite: PIPE_ATOMIC_BYTES,
    periodicFlush: flushMs,
  });
}

export type { Logger };
