import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler, preHandlerHookHandler } from 'fastify';
import { can, type Action } from '../modules/access/permissions.js';
import type { Principal } from '../modules/auth/principals.js';
import { AppError } from './errors.js';

export interface Authenticator {
  authenticate(accessToken: string): Promise<Principal>;
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticator: Authenticator;
  }
  interface FastifyRequest {
    /** Set by `requireUser()` / `requirePermission()`; undefined on public routes. */
    principal: Principal | undefined;
  }
}

export const CSRF_COOKIE = 'lectio_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** Called once on the root app, so every route plugin sees the decorations. */
export function registerAuthentication(app: FastifyInstance, authenticator: Authenticator): void {
  app.decorate('authenticator', authenticator);
  app.decorateRequest('principal', undefined);
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = header ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header) : null;
  if (!match?.[1]) throw new AppError(401, 'unauthenticated', 'Sign in to do this.');
  return match[1];
}

async function authenticate(request: FastifyRequest): Promise<Principal> {
  request.principal ??= await request.server.authenticator.authenticate(bearerToken(request));
  return request.principal;
}

/** Any signed-in, active user with a live session. */
export function requireUser(): preHandlerAsyncHookHandler {
  return async function requireUserHook(request) {
    await authenticate(request);
  };
}

/**
 * A signed-in user allowed `action` by the one permission table. Checks that need the resource
 * (ownership) happen in the service, with `can(actor, action, resource)`, after loading it.
 */
export function requirePermission(action: Action): preHandlerAsyncHookHandler {
  return async function requirePermissionHook(request) {
    const principal = await authenticate(request);
    if (!can(principal, action)) throw new AppError(403, 'forbidden', 'You may not do this.');
  };
}

/**
 * Public routes that answer a signed-in caller with more (a course page's `viewer`, a lesson the
 * caller is enrolled in): a bearer token is optional, but one that is sent must be valid (401
 * otherwise), so a client with an expired token refreshes instead of silently seeing less.
 */
export function optionalUser(): preHandlerHookHandler {
  // A callback hook: an anonymous reader of a public page (most of them) costs no promise here.
  return function optionalUserHook(request, _reply, done) {
    if (request.headers.authorization === undefined) return done();
    authenticate(request).then(() => done(), done);
  };
}

/** The principal a `requireUser`/`requirePermission` pre-handler resolved. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError(401, 'unauthenticated', 'Sign in to do this.');
  return request.principal;
}

/**
 * Double-submit CSRF check for the cookie-authenticated endpoints: a cross-site page can make
 * the browser send our cookies but cannot read `lectio_csrf` to copy it into the header.
 */
export function requireCsrf(): preHandlerAsyncHookHandler {
  return async function requireCsrfHook(request) {
    const header = request.headers[CSRF_HEADER];
    const cookie = request.cookies[CSRF_COOKIE];
    const sent = typeof header === 'string' ? Buffer.from(header) : Buffer.alloc(0);
    const expected = Buffer.from(cookie ?? '');
    if (!expected.length || sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
      throw new AppError(403, 'csrf_failed', 'The request lacks a valid CSRF token.');
    }
  };
}
