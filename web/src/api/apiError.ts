/** A non-2xx answer of the accounts API, with the stable code and details of its body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly details: unknown,
    /** Seconds from a Retry-After header, when the answer carried one. */
    readonly retryAfter: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ErrorBody {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}

function errorOf(body: unknown): ErrorBody | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const error = body.error;
  return typeof error === 'object' && error !== null ? (error as ErrorBody) : undefined;
}

/** Retry-After as seconds: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

export function apiErrorFrom(operation: string, status: number, headers: Headers, body: unknown): ApiError {
  const error = errorOf(body);
  const code = typeof error?.code === 'string' ? error.code : undefined;
  return new ApiError(
    status,
    code,
    error?.details,
    parseRetryAfter(headers.get('Retry-After')),
    `${operation} answered HTTP ${status}${code ? ` (${code})` : ''}`,
  );
}

/** The error code of a standard {"error":{"code"}} body. */
export function errorCodeOf(body: unknown): string | undefined {
  const code = errorOf(body)?.code;
  return typeof code === 'string' ? code : undefined;
}
