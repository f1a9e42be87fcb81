import { z } from 'zod';
import { ORDER_STATUSES } from './state-machine.js';

export const currencySchema = z.enum(['KRW', 'USD']);
const timestamp = z.string().datetime().nullable();

export const orderSchema = z
  .object({
    id: z.string().uuid(),
    status: z.enum(ORDER_STATUSES),
    course: z.object({ id: z.string().uuid(), title: z.string(), slug: z.string() }),
    listAmount: z.number().int().describe('The course price when ordered, in minor units of `currency`.'),
    discountAmount: z.number().int(),
    amount: z.number().int().describe('What the student pays: listAmount − discountAmount.'),
    currency: currencySchema,
    couponCode: z.string().nullable(),
    createdAt: z.string().datetime(),
    paidAt: timestamp,
    failedAt: timestamp,
    failureReason: z.string().nullable(),
    expiredAt: timestamp,
    refundRequestedAt: timestamp,
    refundedAt: timestamp,
    refundedAmount: z.number().int(),
    checkoutUrl: z.string().url().nullable().describe('Where to pay; only while the order is pending.'),
    receiptNumber: z.string(),
  })
  .meta({ id: 'Order' });

export const refundRequestSchema = z
  .object({
    id: z.string().uuid(),
    orderId: z.string().uuid(),
    status: z.enum(['requested', 'approved', 'rejected']),
    reason: z.string(),
    watchedPercent: z.number().int(),
    daysSincePaid: z.number().int(),
    createdAt: z.string().datetime(),
    decidedAt: timestamp,
    decisionNote: z.string().nullable(),
  })
  .meta({ id: 'RefundRequest' });

export const refundInfoSchema = z
  .object({
    eligible: z.boolean(),
    reason: z.enum(['not_paid', 'window_passed', 'watched_too_much', 'request_open']).nullable(),
    watchedPercent: z.number().int(),
    windowEndsAt: timestamp,
    request: refundRequestSchema.nullable(),
  })
  .meta({ id: 'OrderRefundInfo' });

export const orderDetailSchema = z
  .object({
    order: orderSchema,
    buyer: z.object({ displayName: z.string(), email: z.string() }),
    refund: refundInfoSchema,
  })
  .meta({ id: 'OrderDetail' });

export const quoteSchema = z
  .object({
    course: z.object({ id: z.string().uuid(), title: z.string(), slug: z.string() }),
    listAmount: z.number().int(),
    discountAmount: z.number().int(),
    amount: z.number().int(),
    currency: currencySchema,
    coupon: z
      .object({
        code: z.string(),
        kind: z.enum(['percent', 'fixed']),
        percentOff: z.number().int().nullable(),
        amountOff: z.number().int().nullable(),
      })
      .nullable(),
    gateway: z.enum(['test', 'stripe']),
  })
  .meta({ id: 'CheckoutQuote' });

const couponCode = z.string().trim().min(1).max(64);

export const quoteQuery = z.object({ coupon: couponCode.optional() });

export const createOrderBody = z.object({
  courseId: z.string().uuid(),
  couponCode: couponCode.optional(),
});

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{8,200}$/, '8–200 characters: letters, digits, _ . : -')
    .optional()
    .describe('The same key again from the same user answers the same order instead of making another.'),
});

export const createdOrderSchema = z.object({ order: orderSchema, checkoutUrl: z.string().url().nullable() });

export const myOrdersQuery = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(50).default(20),
  status: z.enum(ORDER_STATUSES).optional(),
});

export const orderPage = z.object({
  items: z.array(orderSchema),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});

export const webhookReceiptSchema = z.object({ received: z.literal(true), duplicate: z.boolean() });
