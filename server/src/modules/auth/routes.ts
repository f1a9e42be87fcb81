import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CSRF_COOKIE, requireCsrf } from '../../http/auth.js';
import { AppError, errorResponseSchema } from '../../http/errors.js';
import {
  displayNameSchema,
  emailSchema,
  localeSchema,
  meSchema,
  passwordSchema,
  statusAccepted,
} from '../users/schemas.js';
import { newOpaqueToken } from './secrets.js';
import type { AuthService, IssuedSession } from './service.js';

export const REFRESH_COOKIE = 'lectio_refresh';
const REFRESH_PATH = '/api/v1/auth';

const sessionSchema = z
  .object({ accessToken: z.string(), expiresIn: z.number().int(), user: meSchema })
  .meta({ id: 'Session' });

const perIp = (max: number, windowMs: number) => ({ rateLimit: { max, timeWindow: windowMs } });
const HOUR = 3600_000;

export interface AuthCookieSettings {
  secure: boolean;
}

/** Log-in, sign-up and the cookie-held refresh token. Anyone may call these. */
export function authRoutes(auth: AuthService, cookies: AuthCookieSettings): FastifyPluginAsyncZod {
  const client = (request: FastifyRequest) => ({ userAgent: request.headers['user-agent'], ip: request.ip });

  function setSessionCookies(reply: FastifyReply, session: IssuedSession) {
    const common = { secure: cookies.secure, sameSite: 'strict' as const, expires: session.refreshExpiresAt };
    reply.setCookie(REFRESH_COOKIE, session.refreshToken, { ...common, httpOnly: true, path: REFRESH_PATH });
    // Readable by the web app, which echoes it in X-CSRF-Token; a cross-site page cannot read it.
    reply.setCookie(CSRF_COOKIE, newOpaqueToken(), { ...common, httpOnly: false, path: '/' });
    reply.header('cache-control', 'no-store');
    return { accessToken: session.accessToken, expiresIn: session.expiresIn, user: session.user };
  }

  function clearSessionCookies(reply: FastifyReply) {
    reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_PATH, secure: cookies.secure, sameSite: 'strict' });
    reply.clearCookie(CSRF_COOKIE, { path: '/', secure: cookies.secure, sameSite: 'strict' });
  }

  return async (app) => {
    app.post(
      '/api/v1/auth/register',
      {
        config: perIp(5, HOUR),
        schema: {
          tags: ['auth'],
          summary: 'Create an account and mail a verification link; same answer for a taken email (anyone)',
          body: z.object({
            email: emailSchema,
            password: passwordSchema,
            displayName: displayNameSchema,
            locale: localeSchema,
            consents: z.object({ terms: z.boolean(), privacy: z.boolean(), marketing: z.boolean() }),
          }),
          response: { 202: statusAccepted, 400: errorResponseSchema, 429: errorResponseSchema },
        },
      },
      async (request, reply) => {
        await auth.register(request.body);
        return reply.status(202).send({ status: 'verification_sent' as const });
      },
    );

    app.post(
      '/api/v1/auth/verify-email',
      {
        schema: {
          tags: ['auth'],
          summary: 'Confirm an email address (sign-up or change) with the mailed token (anyone)',
          body: z.object({ token: z.string().min(1).max(200) }),
          response: {
            200: z.object({ status: z.literal('verified') }),
            400: errorResponseSchema,
            409: errorResponseSchema,
          },
        },
      },
      async (request) => {
        await auth.verifyEmail(request.body.token);
        return { status: 'verified' as const };
      },
    );

    app.post(
      '/api/v1/auth/resend-verification',
      {
        config: perIp(5, HOUR),
        schema: {
          tags: ['auth'],
          summary: 'Mail a new verification link if the account awaits one; always 202 (anyone)',
          body: z.object({ email: emailSchema }),
          response: { 202: statusAccepted, 400: errorResponseSchema, 429: errorResponseSchema },
        },
      },
      async (request, reply) => {
        await auth.resendVerification(request.body.email);
        return reply.status(202).send({ status: 'verification_sent' as const });
      },
    );

    app.post(
      '/api/v1/auth/login',
      {
        config: perIp(30, 60_000),
        schema: {
          tags: ['auth'],
          summary: 'Sign in: an access token in the body, the refresh token in an httpOnly cookie (anyone)',
          body: z.object({ email: emailSchema, password: passwordSchema }),
          response: {
            200: sessionSchema,
            400: errorResponseSchema,
            401: errorResponseSchema,
            403: errorResponseSchema,
            429: errorResponseSchema,
          },
        },
      },
      async (request, reply) => {
        const session = await auth.login(request.body.email, request.body.password, client(request));
        return setSessionCookies(reply, session);
      },
    );

    app.post(
      '/api/v1/auth/refresh',
      {
        preHandler: requireCsrf(),
        schema: {
          tags: ['auth'],
          summary: 'Rotate the refresh cookie and get a new access token; needs X-CSRF-Token (cookie holder)',
          response: {
            200: sessionSchema,
            401: errorResponseSchema,
            403: errorResponseSchema,
            409: errorResponseSchema,
          },
        },
      },
      async (request, reply) => {
        const token = request.cookies[REFRESH_COOKIE];
        if (!token) throw new AppError(401, 'refresh_invalid', 'The session has ended. Sign in again.');
        return setSessionCookies(reply, await auth.refresh(token, client(request)));
      },
    );

    app.post(
      '/api/v1/auth/logout',
      {
        preHandler: requireCsrf(),
        schema: {
          tags: ['auth'],
          summary: 'End this session and clear its cookies; needs X-CSRF-Token (cookie holder)',
          response: { 204: z.null(), 403: errorResponseSchema },
        },
      },
      async (request, reply) => {
        await auth.logout(request.cookies[REFRESH_COOKIE]);
        clearSessionCookies(reply);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/auth/forgot-password',
      {
        config: perIp(5, HOUR),
        schema: {
          tags: ['auth'],
          summary: 'Mail a single-use password reset link valid one hour; always 202 (anyone)',
          body: z.object({ email: emailSchema }),
          response: {
            202: z.object({ status: z.literal('reset_sent') }),
            400: errorResponseSchema,
            429: errorResponseSchema,
          },
        },
      },
      async (request, reply) => {
        await auth.forgotPassword(request.body.email);
        return reply.status(202).send({ status: 'reset_sent' as const });
      },
    );

    app.post(
      '/api/v1/auth/reset-password',
      {
        schema: {
          tags: ['auth'],
          summary: 'Set a new password with the mailed token; signs out every session (anyone)',
          body: z.object({ token: z.string().min(1).max(200), password: passwordSchema }),
          response: { 204: z.null(), 400: errorResponseSchema },
        },
      },
      async (request, reply) => {
        await auth.resetPassword(request.body.token, request.body.password);
        return reply.status(204).send(null);
      },
    );
  };
}
