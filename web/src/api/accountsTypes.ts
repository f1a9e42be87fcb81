// Request and response bodies of the accounts API (docs/design/accounts-api.md),
// looked up in the generated schema by path rather than by component name so
// they survive regeneration from a server that inlines its schemas.
import type { paths } from './schema';

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;
type RequestBody<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: infer B;
}
  ? Json<NonNullable<B>>
  : never;
type Ok<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: infer R;
}
  ? S extends keyof R
    ? Json<R[S]>
    : never
  : never;
type Query<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

export type Me = Ok<'/api/v1/me', 'get', 200>;
export type Session = Ok<'/api/v1/auth/login', 'post', 200>;
export type Role = Me['role'];
export type Locale = Me['locale'];

export type RegisterBody = RequestBody<'/api/v1/auth/register', 'post'>;
export type LoginBody = RequestBody<'/api/v1/auth/login', 'post'>;
export type ResetPasswordBody = RequestBody<'/api/v1/auth/reset-password', 'post'>;
export type UpdateMeBody = RequestBody<'/api/v1/me', 'patch'>;
export type ChangePasswordBody = RequestBody<'/api/v1/me/password', 'post'>;
export type ChangeEmailBody = RequestBody<'/api/v1/me/email', 'post'>;

export type SessionList = Ok<'/api/v1/me/sessions', 'get', 200>;
export type DeviceSession = SessionList['items'][number];

export type Application = Ok<'/api/v1/me/instructor-application', 'get', 200>;
export type ApplicationStatus = Application['status'];
export type AdminApplicationPage = Ok<'/api/v1/admin/instructor-applications', 'get', 200>;
export type AdminApplication = AdminApplicationPage['items'][number];
export type ApplicationsQuery = Query<'/api/v1/admin/instructor-applications', 'get'>;
export type DecisionBody = RequestBody<'/api/v1/admin/instructor-applications/{id}/decision', 'post'>;

export type AdminUserPage = Ok<'/api/v1/admin/users', 'get', 200>;
export type AdminUser = AdminUserPage['items'][number];
export type AccountStatus = AdminUser['status'];
export type AdminUsersQuery = Query<'/api/v1/admin/users', 'get'>;
export type AdminUserPatch = RequestBody<'/api/v1/admin/users/{id}', 'patch'>;

/** Password length rule of the contract (counted after NFC normalisation). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;
export const MOTIVATION_MIN = 20;
export const MOTIVATION_MAX = 2000;
