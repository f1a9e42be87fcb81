// The accounts API (docs/design/accounts-api.md) through the typed client:
// paths, bodies and answers are checked against the generated schema.d.ts.
import createClient from 'openapi-fetch';
import { CSRF_COOKIE, CSRF_HEADER, readCookie } from '../auth/csrf';
import { replayableRequestFetch } from '../auth/replayableRequest';
import { session } from '../auth/session';
import type {
  AdminApplicationPage,
  AdminUser,
  AdminUserPage,
  AdminUserPatch,
  AdminUsersQuery,
  Application,
  ApplicationsQuery,
  ChangeEmailBody,
  ChangePasswordBody,
  DecisionBody,
  LoginBody,
  Me,
  RegisterBody,
  ResetPasswordBody,
  Session,
  SessionList,
  UpdateMeBody,
} from './accountsTypes';
import { ApiError, apiErrorFrom } from './apiError';
import type { paths } from './schema';

/** Anonymous calls; cookies go along so log-in can set the refresh cookie. */
const publicApi = createClient<paths>({ baseUrl: '', credentials: 'include' });

/**
 * Calls as the signed-in user: the session adds the access token and, on a
 * 401, refreshes once and retries with the same (replayable) body.
 */
const userApi = createClient<paths>({
  baseUrl: '',
  credentials: 'include',
  fetch: replayableRequestFetch((url, init) => session.fetch(url, init)),
});

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function unwrap<T>(operation: string, { data, error, response }: Answer<T>): T {
  if (response.ok) return data as T;
  throw apiErrorFrom(operation, response.status, response.headers, error);
}

function succeed(operation: string, { error, response }: Answer<unknown>): void {
  if (!response.ok) throw apiErrorFrom(operation, response.status, response.headers, error);
}

// ---- auth (anyone) ----

export async function register(body: RegisterBody): Promise<void> {
  succeed('register', await publicApi.POST('/api/v1/auth/register', { body }));
}
/** Resolves to the answer (a query result must not be undefined). */
export async function verifyEmail(token: string): Promise<{ status: 'verified' }> {
  return unwrap('verify-email', await publicApi.POST('/api/v1/auth/verify-email', { body: { token } }));
}
export async function resendVerification(email: string): Promise<void> {
  succeed('resend-verification', await publicApi.POST('/api/v1/auth/resend-verification', { body: { email } }));
}
export async function login(body: LoginBody): Promise<Session> {
  const result = unwrap('login', await publicApi.POST('/api/v1/auth/login', { body }));
  session.setSession(result);
  return result;
}
export async function logout(): Promise<void> {
  const csrf = readCookie(document.cookie, CSRF_COOKIE);
  try {
    succeed('logout', await publicApi.POST('/api/v1/auth/logout', { headers: csrf ? { [CSRF_HEADER]: csrf } : {} }));
  } finally {
    // Whatever the server said, this tab forgets the token.
    session.clear();
  }
}
export async function forgotPassword(email: string): Promise<void> {
  succeed('forgot-password', await publicApi.POST('/api/v1/auth/forgot-password', { body: { email } }));
}
export async function resetPassword(body: ResetPasswordBody): Promise<void> {
  succeed('reset-password', await publicApi.POST('/api/v1/auth/reset-password', { body }));
}

// ---- me (bearer) ----

export async function fetchMe(signal?: AbortSignal): Promise<Me> {
  return unwrap('GET /me', await userApi.GET('/api/v1/me', { signal }));
}
export async function updateMe(body: UpdateMeBody): Promise<Me> {
  const me = unwrap('PATCH /me', await userApi.PATCH('/api/v1/me', { body }));
  session.updateUser(me);
  return me;
}
export async function changePassword(body: ChangePasswordBody): Promise<void> {
  succeed('change password', await userApi.POST('/api/v1/me/password', { body }));
}
export async function changeEmail(body: ChangeEmailBody): Promise<void> {
  succeed('change email', await userApi.POST('/api/v1/me/email', { body }));
}
export async function fetchSessions(signal?: AbortSignal): Promise<SessionList> {
  return unwrap('GET /me/sessions', await userApi.GET('/api/v1/me/sessions', { signal }));
}
export async function revokeSession(id: string): Promise<void> {
  succeed('revoke session', await userApi.DELETE('/api/v1/me/sessions/{id}', { params: { path: { id } } }));
}
export async function deactivateAccount(password: string): Promise<void> {
  succeed('deactivate', await userApi.POST('/api/v1/me/deactivate', { body: { password } }));
  session.clear();
}
export async function deleteAccount(password: string): Promise<void> {
  succeed('delete account', await userApi.DELETE('/api/v1/me', { body: { password } }));
  session.clear();
}
export async function exportMyData(): Promise<Blob> {
  return unwrap('export', await userApi.GET('/api/v1/me/export', { parseAs: 'blob' }));
}
export async function applyToTeach(motivation: string): Promise<Application> {
  return unwrap('apply to teach', await userApi.POST('/api/v1/me/instructor-application', { body: { motivation } }));
}
/** The caller's application, or null when there is none (404 application_not_found). */
export async function fetchMyApplication(signal?: AbortSignal): Promise<Application | null> {
  try {
    return unwrap('GET application', await userApi.GET('/api/v1/me/instructor-application', { signal }));
  } catch (error) {
    if (error instanceof ApiError && error.code === 'application_not_found') return null;
    throw error;
  }
}

// ---- admin (bearer, admin role) ----

export async function fetchAdminUsers(query: AdminUsersQuery, signal?: AbortSignal): Promise<AdminUserPage> {
  return unwrap('GET /admin/users', await userApi.GET('/api/v1/admin/users', { params: { query }, signal }));
}
export async function updateAdminUser(id: string, body: AdminUserPatch): Promise<AdminUser> {
  return unwrap(
    'PATCH /admin/users/{id}',
    await userApi.PATCH('/api/v1/admin/users/{id}', { params: { path: { id } }, body }),
  );
}
export async function fetchApplications(query: ApplicationsQuery, signal?: AbortSignal): Promise<AdminApplicationPage> {
  return unwrap(
    'GET /admin/instructor-applications',
    await userApi.GET('/api/v1/admin/instructor-applications', { params: { query }, signal }),
  );
}
export async function decideApplication(id: string, body: DecisionBody): Promise<Application> {
  return unwrap(
    'decide application',
    await userApi.POST('/api/v1/admin/instructor-applications/{id}/decision', { params: { path: { id } }, body }),
  );
}

export const accountKeys = {
  me: ['me'] as const,
  sessions: ['me', 'sessions'] as const,
  application: ['me', 'instructor-application'] as const,
  adminUsers: (query: AdminUsersQuery) => ['admin', 'users', query] as const,
  applications: (query: ApplicationsQuery) => ['admin', 'applications', query] as const,
};
