import { sql } from 'drizzle-orm';
import { index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const userRole = pgEnum('user_role', ['student', 'instructor', 'admin']);
export const userLocale = pgEnum('user_locale', ['ko', 'en']);
export const userStatus = pgEnum('user_status', ['active', 'deactivated']);

const at = (name: string) => timestamp(name, { withTimezone: true });

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    displayName: text('display_name').notNull(),
    role: userRole('role').notNull().default('student'),
    locale: userLocale('locale').notNull().default('ko'),
    status: userStatus('status').notNull().default('active'),
    emailVerifiedAt: at('email_verified_at'),
    termsAcceptedAt: at('terms_accepted_at'),
    privacyAcceptedAt: at('privacy_accepted_at'),
    marketingConsentAt: at('marketing_consent_at'),
    lastLoginAt: at('last_login_at'),
    // An erased account keeps its row (orders and reviews point at it) with the personal data gone.
    deletedAt: at('deleted_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    // Emails compare case-insensitively; the index enforces it so two sign-ups cannot race past a check.
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    index('users_role_idx').on(t.role),
    index('users_status_idx').on(t.status),
    // The admin search matches substrings of the display name (the email has its own index above).
    index('users_display_name_lower_idx').on(sql`lower(${t.displayName})`),
    index('users_created_at_idx').on(t.createdAt),
  ],
);
