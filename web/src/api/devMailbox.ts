import { api, type paths } from './client';

type ListResponses = paths['/api/v1/dev/mailbox']['get']['responses'];

// Derived from the paths rather than named components so they survive
// regeneration from a server that inlines its schemas.
export type MailboxPage = ListResponses[200]['content']['application/json'];
export type DevMail = MailboxPage['items'][number];

export const MAILBOX_PAGE_SIZE = 20;

/** A non-2xx answer from the API, with the stable error code when the body carries one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The `code` of a standard {"error":{"code","message"}} body, if the body is one. */
export function errorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const error = body.error;
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function apiError(operation: string, response: Response, body: unknown): ApiError {
  const code = errorCode(body);
  return new ApiError(
    response.status,
    code,
    `${operation} answered HTTP ${response.status}${code ? ` (${code})` : ''}`,
  );
}

/**
 * The route is only registered in embedded/development mode; elsewhere the
 * server answers its generic 404 `not_found`, which is how the app tells.
 */
export function isMailboxUnavailable(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && (error.code === 'not_found' || error.code === undefined);
}

/** A message id that does not exist, or cannot exist (the server rejects non-UUIDs with 400). */
export function isMailNotFound(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    ((error.status === 404 && error.code === 'mail_not_found') ||
      (error.status === 400 && error.code === 'validation_failed'))
  );
}

/** Retrying cannot turn a 4xx into a success; anything else gets the app-wide single retry. */
export function retryUnlessClientError(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 1;
}

export async function fetchMailboxPage(
  { limit, offset }: { limit: number; offset: number },
  signal?: AbortSignal,
): Promise<MailboxPage> {
  const { data, error, response } = await api.GET('/api/v1/dev/mailbox', {
    params: { query: { limit, offset } },
    signal,
  });
  if (data) return data;
  throw apiError('GET /api/v1/dev/mailbox', response, error);
}

export async function fetchMail(id: string, signal?: AbortSignal): Promise<DevMail> {
  const { data, error, response } = await api.GET('/api/v1/dev/mailbox/{id}', {
    params: { path: { id } },
    signal,
  });
  if (data) return data;
  throw apiError('GET /api/v1/dev/mailbox/{id}', response, error);
}

/** Resolves to whether this server has a dev mailbox at all (a 404 means production). */
export async function fetchMailboxAvailable(signal?: AbortSignal): Promise<boolean> {
  try {
    await fetchMailboxPage({ limit: 1, offset: 0 }, signal);
    return true;
  } catch (error) {
    if (isMailboxUnavailable(error)) return false;
    throw error;
  }
}

export const devMailboxKeys = {
  all: ['dev-mailbox'] as const,
  available: () => [...devMailboxKeys.all, 'available'] as const,
  page: (offset: number) => [...devMailboxKeys.all, 'page', { offset, limit: MAILBOX_PAGE_SIZE }] as const,
  message: (id: string) => [...devMailboxKeys.all, 'message', id] as const,
};
