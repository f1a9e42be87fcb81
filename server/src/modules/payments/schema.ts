import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { courses, currency } from '../catalog/schema.js';
import { users } from '../users/schema.js';

const at = (name: string) => timestamp(name, { withTimezone: true });

/**
 * pending → paid → refunded, or pending → failed | expired. The states are ranked (see
 * state-machine.ts) and an order only ever moves up, so events applied in any order end the same.
 */
export const orderStatus = pgEnum('order_status', ['pending', 'paid', 'failed', 'expired', 'refunded']);
export const paymentGateway = pgEnum('payment_gateway', ['test', 'stripe']);
export const couponKind = pgEnum('coupon_kind', ['percent', 'fixed']);
export const refundRequestStatus = pgEnum('refund_request_status', ['requested', 'approved', 'rejected']);

export const coupons = pgTable(
  'coupons',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored upper-case; students type it in any case. */
    code: text('code').notNull(),
    kind: couponKind('kind').notNull(),
    /** percent: 1–100. */
    percentOff: integer('percent_off'),
    /** fixed: minor units of `currency`. */
    amountOff: integer('amount_off'),
    currency: currency('currency'),
    /** Null: site-wide (admins only); otherwise only this course. */
    courseId: uuid('course_id').references(() => courses.id, { onDelete: 'cascade' }),
    expiresAt: at('expires_at'),
    /** Null: unlimited. Uses are reserved when an order is created and released if it fails or expires. */
    maxUses: integer('max_uses'),
    usedCount: integer('used_count').notNull().default(0),
    active: boolean('active').notNull().default(true),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('coupons_code_key').on(t.code),
    index('coupons_course_idx').on(t.courseId),
    check(
      'coupons_kind_fields',
      sql`(${t.kind} = 'percent' and ${t.percentOff} between 1 and 100 and ${t.amountOff} is null)
        or (${t.kind} = 'fixed' and ${t.amountOff} > 0 and ${t.currency} is not null and ${t.percentOff} is null)`,
    ),
    check(
      'coupons_uses_within_max',
      sql`${t.usedCount} >= 0 and (${t.maxUses} is null or ${t.usedCount} <= ${t.maxUses})`,
    ),
  ],
);

/**
 * One purchase of one course. Price, currency and discount are copied at creation: the order
 * states what was charged even if the course's price or the coupon changes later.
 */
export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Accounts are never hard-deleted (they are anonymised), and orders are accounting records.
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'restrict' }),
    status: orderStatus('status').notNull().default('pending'),
    /** The course's price when ordered. */
    listAmount: integer('list_amount').notNull(),
    discountAmount: integer('discount_amount').notNull().default(0),
    /** What the student pays: list − discount. */
    amount: integer('amount').notNull(),
    currency: currency('currency').notNull(),
    couponId: uuid('coupon_id').references(() => coupons.id, { onDelete: 'restrict' }),
    couponCode: text('coupon_code'),
    /** The client's Idempotency-Key; the same key from the same user answers the same order. */
    idempotencyKey: text('idempotency_key'),
    /** Null for an order nothing was charged for (a 100 % coupon). */
    gateway: paymentGateway('gateway'),
    checkoutSessionId: text('checkout_session_id'),
    checkoutUrl: text('checkout_url'),
    checkoutExpiresAt: at('checkout_expires_at'),
    paymentIntentId: text('payment_intent_id'),
    paidAt: at('paid_at'),
    failedAt: at('failed_at'),
    failureReason: text('failure_reason'),
    expiredAt: at('expired_at'),
    /** Set when a refund was asked of the gateway; the refund event (or reconciliation) completes it. */
    refundRequestedAt: at('refund_requested_at'),
    refundedAt: at('refunded_at'),
    refundedAmount: integer('refunded_amount').notNull().default(0),
    refundReason: text('refund_reason'),
    receiptSentAt: at('receipt_sent_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('orders_user_idempotency_key').on(t.userId, t.idempotencyKey),
    // At most one open order per student and course.
    uniqueIndex('orders_one_pending_per_course')
      .on(t.userId, t.courseId)
      .where(sql`${t.status} = 'pending'`),
    uniqueIndex('orders_checkout_session_key').on(t.checkoutSessionId),
    index('orders_payment_intent_idx').on(t.paymentIntentId),
    index('orders_user_idx').on(t.userId, t.createdAt),
    // Reconciliation scans pending orders by age; the admin list filters by status.
    index('orders_status_idx').on(t.status, t.createdAt),
    // Instructor revenue by course and month.
    index('orders_course_paid_idx').on(t.courseId, t.paidAt),
    // Reconciliation's two other scans, each over the few rows still waiting (repository.ts
    // receiptsMissing and refundsInFlight; their WHERE carries these predicates).
    index('orders_receipt_due_idx')
      .on(t.paidAt)
      .where(sql`${t.status} = 'paid' and ${t.receiptSentAt} is null`),
    index('orders_refund_in_flight_idx')
      .on(t.refundRequestedAt)
      .where(sql`${t.refundRequestedAt} is not null and ${t.refundedAt} is null`),
    check(
      'orders_amounts',
      sql`${t.listAmount} >= 0 and ${t.discountAmount} >= 0 and ${t.amount} = ${t.listAmount} - ${t.discountAmount} and ${t.refundedAmount} between 0 and ${t.amount}`,
    ),
  ],
);

/**
 * Every gateway event applied, by its id: a redelivery finds its id here and changes nothing.
 * Written in the same transaction as the order change it caused.
 */
export const paymentEvents = pgTable(
  'payment_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    orderId: uuid('order_id').references(() => orders.id, { onDelete: 'restrict' }),
    /** What the event did: the transition applied, or why it changed nothing. */
    outcome: text('outcome').notNull(),
    receivedAt: at('received_at').notNull().defaultNow(),
  },
  (t) => [index('payment_events_order_idx').on(t.orderId, t.receivedAt)],
);

/** A student's request for a refund, decided by an admin. */
export const refundRequests = pgTable(
  'refund_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'restrict' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    reason: text('reason').notNull(),
    status: refundRequestStatus('status').notNull().default('requested'),
    /** What the policy said when asked: watched share (0–100) and days since payment. */
    watchedPercent: integer('watched_percent').notNull(),
    daysSincePaid: integer('days_since_paid').notNull(),
    decidedBy: uuid('decided_by').references(() => users.id, { onDelete: 'set null' }),
    decidedAt: at('decided_at'),
    decisionNote: text('decision_note'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    // One open request per order.
    uniqueIndex('refund_requests_one_open')
      .on(t.orderId)
      .where(sql`${t.status} = 'requested'`),
    index('refund_requests_status_idx').on(t.status, t.createdAt),
    // An order's latest request (its page, the admin's list).
    index('refund_requests_order_idx').on(t.orderId, t.createdAt),
  ],
);
