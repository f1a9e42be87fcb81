import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { optionalUser, principalOf, requirePermission, requireUser } from '../../http/auth.js';
import { errorResponseSchema } from '../../http/errors.js';
import type { CertificateService } from './service.js';

const security = [{ bearerAuth: [] }];
const optionalSecurity: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
// Any string: a code that cannot be one is a 404 like an unknown one, never a 400.
const code = z.string();

const certificateSchema = z
  .object({
    code: z.string(),
    studentName: z.string(),
    courseTitle: z.string(),
    courseSlug: z.string().nullable(),
    instructorName: z.string(),
    completedAt: z.string().datetime(),
    issuedAt: z.string().datetime().nullable(),
    status: z.enum(['pending', 'issued']),
    verifyUrl: z.string().url(),
    canDownload: z.boolean(),
  })
  .meta({ id: 'Certificate' });

const paging = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(50).default(20),
});

export function certificateRoutes(certificates: CertificateService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/certificates/:code',
      {
        preHandler: optionalUser(),
        schema: {
          tags: ['certificates'],
          summary: 'Verify a certificate by its id: who earned it, for which course, when (anyone)',
          security: optionalSecurity,
          params: z.object({ code }),
          response: { 200: certificateSchema, 401: errorResponseSchema, 404: errorResponseSchema },
        },
      },
      async (request, reply) => {
        // canDownload depends on who asks.
        reply.header('cache-control', 'private, no-store');
        return certificates.verify(request.params.code, request.principal);
      },
    );

    app.get(
      '/api/v1/certificates/:code/pdf',
      {
        preHandler: requireUser(),
        schema: {
          tags: ['certificates'],
          summary: 'The certificate as a PDF; 409 while it is still being issued (its student, admin)',
          security,
          params: z.object({ code }),
          produces: ['application/pdf'],
          response: {
            200: z.unknown().describe('application/pdf'),
            401: errorResponseSchema,
            403: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
          },
        },
      },
      async (request, reply) => {
        const pdf = await certificates.pdf(request.params.code, principalOf(request));
        reply
          .header('content-type', 'application/pdf')
          .header('content-disposition', `attachment; filename="${pdf.filename}"`)
          .header('cache-control', 'private, no-store')
          .header('x-content-type-options', 'nosniff');
        return reply.send(pdf.body);
      },
    );

    app.get(
      '/api/v1/me/certificates',
      {
        preHandler: requirePermission('certificate.read'),
        schema: {
          tags: ['me'],
          summary: 'My certificates, most recently earned first (signed-in user)',
          security,
          querystring: paging,
          response: {
            200: z.object({
              items: z.array(certificateSchema),
              total: z.number().int(),
              page: z.number().int(),
              pageSize: z.number().int(),
            }),
            400: errorResponseSchema,
            401: errorResponseSchema,
            403: errorResponseSchema,
          },
        },
      },
      async (request) => certificates.mine(principalOf(request), request.query),
    );
  };
}
