import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { AppError } from '../app-error.js';
import { coupons } from './schema.js';

export type CouponRow = typeof coupons.$inferSelect;
export type Currency = 'KRW' | 'USD';

/** Why a coupon does not apply; the student sees which. */
export type CouponRefusal = 'not_found' | 'expired' | 'exhausted' | 'not_applicable' | 'inactive';

const REFUSAL_MESSAGES: Record<CouponRefusal, string> = {
  not_found: 'There is no coupon with this code.',
  expired: 'This coupon has expired.',
  exhausted: 'This coupon has been used up.',
  not_applicable: 'This coupon does not apply to this course.',
  inactive: 'This coupon is no longer active.',
};

export function couponInvalid(reason: CouponRefusal): AppError {
  return new AppError(422, 'coupon_invalid', REFUSAL_MESSAGES[reason], { reason });
}

/** Codes are stored upper-case; students type them in any case, sometimes with spaces around. */
export function normalizeCouponCode(code: string): string {
  return code.trim().toUpperCase();
}

export interface PricedCourse {
  id: string;
  priceAmount: number;
  currency: Currency;
}

export interface Price {
  listAmount: number;
  discountAmount: number;
  amount: number;
  currency: Currency;
}

/**
 * Why the coupon cannot be used on this course now, or null. Checked in the order a student can
 * make sense of: a coupon for another course is "not for this", whatever its other state.
 */
export function couponRefusal(coupon: CouponRow, course: PricedCourse, now: Date): CouponRefusal | null {
  if (coupon.courseId !== null && coupon.courseId !== course.id) return 'not_applicable';
  if (coupon.kind === 'fixed' && coupon.currency !== course.currency) return 'not_applicable';
  if (!coupon.active) return 'inactive';
  if (coupon.expiresAt && coupon.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (coupon.maxUses !== null && coupon.usedCount >= coupon.maxUses) return 'exhausted';
  return null;
}

/**
 * The price with a coupon applied. A percentage rounds the discount down to whole minor units
 * (the student never gets more off than promised); nothing goes below zero.
 */
export function priceOf(course: PricedCourse, coupon: CouponRow | undefined): Price {
  const listAmount = course.priceAmount;
  let discountAmount = 0;
  if (coupon?.kind === 'percent') discountAmount = Math.floor((listAmount * (coupon.percentOff ?? 0)) / 100);
  if (coupon?.kind === 'fixed' && coupon.currency === course.currency) discountAmount = coupon.amountOff ?? 0;
  discountAmount = Math.min(Math.max(discountAmount, 0), listAmount);
  return { listAmount, discountAmount, amount: listAmount - discountAmount, currency: course.currency };
}

export async function findCouponByCode(db: Db, code: string): Promise<CouponRow | undefined> {
  const [row] = await db
    .select()
    .from(coupons)
    .where(eq(coupons.code, normalizeCouponCode(code)));
  return row;
}

/**
 * Takes one use of the coupon inside the order's transaction, in one statement that re-checks
 * everything: concurrent checkouts each get a row lock in turn, so a coupon limited to 10 uses
 * gives exactly 10 orders. Undefined when the use could not be taken; the caller asks why.
 */
export async function reserveCouponUse(tx: Db, couponId: string, now: Date): Promise<CouponRow | undefined> {
  const [row] = await tx
    .update(coupons)
    .set({ usedCount: sql`${coupons.usedCount} + 1` })
    .where(
      and(
        eq(coupons.id, couponId),
        eq(coupons.active, true),
        or(isNull(coupons.expiresAt), sql`${coupons.expiresAt} > ${now.toISOString()}::timestamptz`),
        or(isNull(coupons.maxUses), lt(coupons.usedCount, coupons.maxUses)),
      ),
    )
    .returning();
  return row;
}

/** Gives a use back (its order failed or expired). Never below zero, whatever went before. */
export async function releaseCouponUse(tx: Db, couponId: string): Promise<void> {
  await tx
    .update(coupons)
    .set({ usedCount: sql`greatest(${coupons.usedCount} - 1, 0)` })
    .where(eq(coupons.id, couponId));
}

/**
 * Counts a use again for an order paid after it had expired (the money was taken, so the coupon
 * was used). Only while it fits under the maximum: the limit is never exceeded, and the payment
 * stands either way.
 */
export async function retakeCouponUse(tx: Db, couponId: string): Promise<void> {
  await tx
    .update(coupons)
    .set({ usedCount: sql`${coupons.usedCount} + 1` })
    .where(and(eq(coupons.id, couponId), or(isNull(coupons.maxUses), lt(coupons.usedCount, coupons.maxUses))));
}
