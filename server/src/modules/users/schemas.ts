import { z } from 'zod';

/** Request and response shapes shared by the auth, me and admin routes. */
export const emailSchema = z.string().trim().max(254).email();
/** Length rules (10–128 after NFC) are the service's, answered as `invalid_password`. */
export const passwordSchema = z.string().max(1024);
export const displayNameSchema = z.string().trim().min(1).max(80);
export const localeSchema = z.enum(['ko', 'en']);

export const meSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    displayName: z.string(),
    role: z.enum(['student', 'instructor', 'admin']),
    locale: localeSchema,
    emailVerified: z.boolean(),
    marketingConsent: z.boolean(),
    createdAt: z.string().datetime(),
  })
  .meta({ id: 'Me' });

export const adminUserSchema = meSchema
  .extend({
    status: z.enum(['active', 'deactivated']),
    lastLoginAt: z.string().datetime().nullable(),
  })
  .meta({ id: 'AdminUser' });

export const applicationSchema = z
  .object({
    id: z.string().uuid(),
    status: z.enum(['pending', 'approved', 'rejected']),
    motivation: z.string(),
    decisionNote: z.string().nullable(),
    createdAt: z.string().datetime(),
    decidedAt: z.string().datetime().nullable(),
  })
  .meta({ id: 'InstructorApplication' });

export const pagingQuery = {
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
};

export const statusAccepted = z.object({ status: z.literal('verification_sent') });
