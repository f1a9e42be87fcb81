import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requirePermission } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import type { InstructorApplicationService } from '../instructor-applications/service.js';
import type { AccountService } from './account-service.js';
import {
  applicationSchema,
  displayNameSchema,
  emailSchema,
  localeSchema,
  meSchema,
  passwordSchema,
  statusAccepted,
} from './schemas.js';

const security = [{ bearerAuth: [] }];
const denied = { 401: errorResponseSchema, 403: errorResponseSchema };
const sessionSchema = z
  .object({
    id: z.string().uuid(),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    createdAt: z.string().datetime(),
    lastUsedAt: z.string().datetime(),
    current: z.boolean(),
  })
  .meta({ id: 'AccountSession' });

/** The signed-in user's own account: every route needs a bearer token, any role. */
export function meRoutes(accounts: AccountService, applications: InstructorApplicationService): FastifyPluginAsyncZod {
  return async (app) => {
    const read = { preHandler: requirePermission('account.read') };
    const update = { preHandler: requirePermission('account.update') };

    app.get(
      '/api/v1/me',
      {
        ...read,
        schema: {
          tags: ['me'],
          summary: 'My account (signed-in user)',
          security,
          response: { 200: meSchema, ...denied },
        },
      },
      async (request) => accounts.me(principalOf(request).userId),
    );

    app.patch(
      '/api/v1/me',
      {
        ...update,
        schema: {
          tags: ['me'],
          summary: 'Change my display name, language or marketing consent (signed-in user)',
          security,
          body: z.object({
            displayName: displayNameSchema.optional(),
            locale: localeSchema.optional(),
            marketingConsent: z.boolean().optional(),
          }),
          response: { 200: meSchema, 400: errorResponseSchema, ...denied },
        },
      },
      async (request) => accounts.updateProfile(principalOf(request).userId, request.body),
    );

    app.post(
      '/api/v1/me/password',
      {
        ...update,
        schema: {
          tags: ['me'],
          summary: 'Change my password; my other sessions are signed out (signed-in user)',
          security,
          body: z.object({ currentPassword: passwordSchema, newPassword: passwordSchema }),
          response: { 204: z.null(), 400: errorResponseSchema, ...denied },
        },
      },
      async (request, reply) => {
        const { userId, sessionId } = principalOf(request);
        await accounts.changePassword(userId, sessionId, request.body.currentPassword, request.body.newPassword);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/me/email',
      {
        ...update,
        schema: {
          tags: ['me'],
          summary: 'Change my email: the new address gets a link and the change applies when opened (signed-in user)',
          security,
          body: z.object({ newEmail: emailSchema, password: passwordSchema }),
          response: { 202: statusAccepted, 400: errorResponseSchema, ...denied },
        },
      },
      async (request, reply) => {
        await accounts.changeEmail(principalOf(request).userId, request.body.newEmail, request.body.password);
        return reply.status(202).send({ status: 'verification_sent' as const });
      },
    );

    app.get(
      '/api/v1/me/sessions',
      {
        ...read,
        schema: {
          tags: ['me'],
          summary: 'My signed-in devices (signed-in user)',
          security,
          response: { 200: z.object({ items: z.array(sessionSchema) }), ...denied },
        },
      },
      async (request) => {
        const { userId, sessionId } = principalOf(request);
        return { items: await accounts.sessions(userId, sessionId) };
      },
    );

    app.delete(
      '/api/v1/me/sessions/:id',
      {
        ...update,
        schema: {
          tags: ['me'],
          summary: 'Sign one of my devices out (signed-in user)',
          security,
          params: z.object({ id: z.string().uuid() }),
          response: { 204: z.null(), 404: errorResponseSchema, ...denied },
        },
      },
      async (request, reply) => {
        await accounts.revokeSession(principalOf(request).userId, request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/me/deactivate',
      {
        ...update,
        schema: {
          tags: ['me'],
          summary: 'Deactivate my account; every session ends at once (signed-in user)',
          security,
          body: z.object({ password: passwordSchema }),
          response: { 204: z.null(), ...denied },
        },
      },
      async (request, reply) => {
        await accounts.deactivate(principalOf(request).userId, request.body.password);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/v1/me/export',
      {
        ...read,
        schema: {
          tags: ['me'],
          summary: 'Everything stored about me, as a JSON attachment (signed-in user)',
          security,
          response: { 200: z.record(z.string(), z.unknown()), ...denied },
        },
      },
      async (request, reply) => {
        reply.header('content-disposition', 'attachment; filename="lectio-account.json"');
        reply.header('cache-control', 'no-store');
        return accounts.exportData(principalOf(request).userId);
      },
    );

    app.delete(
      '/api/v1/me',
      {
        ...update,
        schema: {
          tags: ['me'],
          summary: 'Delete my account: personal data erased, orders and reviews kept anonymised (signed-in user)',
          security,
          body: z.object({ password: passwordSchema }),
          response: { 204: z.null(), ...denied },
        },
      },
      async (request, reply) => {
        await accounts.deleteAccount(principalOf(request).userId, request.body.password);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/v1/me/instructor-application',
      {
        preHandler: requirePermission('instructor-application.apply'),
        schema: {
          tags: ['me'],
          summary: 'Apply to become an instructor (signed-in user)',
          security,
          body: z.object({ motivation: z.string().trim().min(20).max(2000) }),
          response: { 201: applicationSchema, 400: errorResponseSchema, 409: errorResponseSchema, ...denied },
        },
      },
      async (request, reply) => {
        return reply.status(201).send(await applications.apply(principalOf(request).userId, request.body.motivation));
      },
    );

    app.get(
      '/api/v1/me/instructor-application',
      {
        ...read,
        schema: {
          tags: ['me'],
          summary: 'My latest instructor application (signed-in user)',
          security,
          response: { 200: applicationSchema, 404: errorResponseSchema, ...denied },
        },
      },
      async (request) => applications.mine(principalOf(request).userId),
    );
  };
}
