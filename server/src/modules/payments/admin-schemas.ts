import { z } from 'zod';
import { MAX_REVENUE_MONTHS } from './revenue-service.js';
import { currencySchema, orderSchema, refundRequestSchema } from './schemas.js';
import { ORDER_STATUSES } from './state-machine.js';

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(50).default(20),
};

export const paged = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

const userSchema = z.object({ id: z.string().uuid(), email: z.string(), displayName: z.string() });
const timestamp = z.string().datetime().nullable();

// ---- Admin: orders and refunds ----

export const adminOrderSchema = orderSchema.extend({ user: userSchema }).meta({ id: 'AdminOrder' });

export const adminOrdersQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  q: z.string().trim().max(200).optional().describe("Part of the buyer's email or of the course title"),
  ...pageQuery,
});

export const adminRefundRequestSchema = z
  .object({ request: refundRequestSchema, order: orderSchema, user: userSchema })
  .meta({ id: 'AdminRefundRequest' });

export const refundRequestsQuery = z.object({
  status: z.enum(['requested', 'approved', 'rejected']).default('requested'),
  ...pageQuery,
});

const reason = z.string().trim().min(1).max(1000);

export const refundRequestBody = z.object({ reason });
export const directRefundBody = z.object({ reason });
export const approveBody = z.object({ note: z.string().trim().max(1000).optional() });
export const rejectBody = z.object({ note: reason });

// ---- Studio: coupons and revenue ----

const couponCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{3,32}$/, '3–32 characters: letters, digits, _ and -')
  .describe('Stored upper-case; students may type it in any case');

export const couponSchema = z
  .object({
    id: z.string().uuid(),
    code: z.string(),
    kind: z.enum(['percent', 'fixed']),
    percentOff: z.number().int().nullable(),
    amountOff: z.number().int().nullable().describe('Minor units of `currency`.'),
    currency: currencySchema.nullable(),
    course: z.object({ id: z.string().uuid(), title: z.string() }).nullable().describe('Null: site-wide.'),
    expiresAt: timestamp,
    maxUses: z.number().int().nullable().describe('Null: unlimited.'),
    usedCount: z.number().int(),
    active: z.boolean(),
    createdAt: z.string().datetime(),
  })
  .meta({ id: 'Coupon' });

const maxUses = z.number().int().min(1).max(1_000_000).nullable();

export const couponInputSchema = z.object({
  code: couponCode,
  kind: z.enum(['percent', 'fixed']),
  percentOff: z.number().int().min(1).max(100).nullable().optional().describe('percent coupons: 1–100'),
  amountOff: z
    .number()
    .int()
    .min(1)
    .max(1_000_000_000)
    .nullable()
    .optional()
    .describe('fixed coupons: minor units of `currency`'),
  currency: currencySchema.nullable().optional().describe('fixed coupons: the currency of `amountOff`'),
  courseId: z.string().uuid().nullable().describe('Null: site-wide (admins only)'),
  expiresAt: timestamp.optional(),
  maxUses: maxUses.optional(),
});

export const couponPatchSchema = z.object({
  active: z.boolean().optional(),
  expiresAt: timestamp.optional().describe('Null: never expires'),
  maxUses: maxUses.optional().describe('Null: unlimited; never below usedCount'),
});

export const couponsQuery = z.object({ courseId: z.string().uuid().optional(), ...pageQuery });

const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM')
  .describe('A month, YYYY-MM (UTC)');

export const revenueQuery = z.object({
  from: month
    .optional()
    .describe(`First month; default: 11 months before \`to\` (at most ${MAX_REVENUE_MONTHS} months)`),
  to: month.optional().describe('Last month, included; default: the current month'),
  instructorId: z.string().uuid().optional().describe("Admins only: another instructor's courses"),
});

const amounts = {
  currency: currencySchema,
  orders: z.number().int().describe('Paid orders, refunded ones included'),
  gross: z.number().int().describe('What those orders took, in minor units'),
  refunded: z.number().int(),
  net: z.number().int().describe('gross − refunded'),
};

export const revenueSchema = z
  .object({
    items: z.array(
      z.object({
        courseId: z.string().uuid(),
        courseTitle: z.string(),
        month: z.string().describe('YYYY-MM of the payment, UTC'),
        ...amounts,
      }),
    ),
    totals: z.array(z.object(amounts)).describe('One per currency'),
  })
  .meta({ id: 'Revenue' });
