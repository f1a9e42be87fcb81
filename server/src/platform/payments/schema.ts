import { index, integer, jsonb, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });

export const testCheckoutStatus = pgEnum('test_checkout_status', ['open', 'complete', 'expired']);

/**
 * The built-in test gateway's own records: what Stripe keeps on its side for a Checkout Session.
 * Only the test gateway adapter reads or writes this table; the orders module never does.
 */
export const testCheckoutSessions = pgTable(
  'test_checkout_sessions',
  {
    /** `cs_test_…`, like Stripe's. */
    id: text('id').primaryKey(),
    status: testCheckoutStatus('status').notNull().default('open'),
    paymentStatus: text('payment_status', { enum: ['paid', 'unpaid'] })
      .notNull()
      .default('unpaid'),
    /** `pi_test_…`, set when the student pays or is declined. */
    paymentIntentId: text('payment_intent_id'),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    description: text('description').notNull(),
    customerEmail: text('customer_email'),
    successUrl: text('success_url').notNull(),
    cancelUrl: text('cancel_url').notNull(),
    /** The caller's metadata (the order id), copied onto every event like Stripe does. */
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull(),
    refundedAmount: integer('refunded_amount').notNull().default(0),
    createdAt: at('created_at').notNull().defaultNow(),
    expiresAt: at('expires_at').notNull(),
    completedAt: at('completed_at'),
  },
  (t) => [index('test_checkout_sessions_payment_intent_idx').on(t.paymentIntentId)],
);
