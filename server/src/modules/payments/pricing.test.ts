import { describe, expect, it } from 'vitest';
import { couponRefusal, normalizeCouponCode, priceOf, type CouponRow } from './pricing.js';

const course = { id: 'course-1', priceAmount: 39_999, currency: 'KRW' as const };
const now = new Date('2025-03-01T00:00:00Z');

function coupon(overrides: Partial<CouponRow>): CouponRow {
  return {
    id: 'coupon-1',
    code: 'SPRING',
    kind: 'percent',
    percentOff: 10,
    amountOff: null,
    currency: null,
    courseId: null,
    expiresAt: null,
    maxUses: null,
    usedCount: 0,
    active: true,
    createdBy: 'admin',
    createdAt: now,
    ...overrides,
  };
}

describe('coupon pricing', () => {
  it('rounds a percentage discount down to whole minor units', () => {
    // 15 % of 39,999 is 5,999.85.
    expect(priceOf(course, coupon({ percentOff: 15 }))).toEqual({
      listAmount: 39_999,
      discountAmount: 5_999,
      amount: 34_000,
      currency: 'KRW',
    });
    // 33 % of 1,999 US cents is 659.67 cents: 659 off.
    expect(priceOf({ ...course, priceAmount: 1_999, currency: 'USD' }, coupon({ percentOff: 33 })).discountAmount).toBe(
      659,
    );
    expect(priceOf(course, coupon({ percentOff: 100 })).amount).toBe(0);
  });

  it('takes a fixed amount off in the same currency only, never below zero', () => {
    const fixed = coupon({ kind: 'fixed', percentOff: null, amountOff: 5_000, currency: 'KRW' });
    expect(priceOf(course, fixed).amount).toBe(34_999);
    expect(priceOf({ ...course, priceAmount: 3_000 }, fixed)).toMatchObject({ discountAmount: 3_000, amount: 0 });
    expect(priceOf({ ...course, currency: 'USD' }, fixed).discountAmount).toBe(0);
    expect(couponRefusal(fixed, { ...course, currency: 'USD' }, now)).toBe('not_applicable');
    expect(priceOf(course, undefined)).toMatchObject({ discountAmount: 0, amount: 39_999 });
  });

  it('says why a coupon cannot be used', () => {
    expect(couponRefusal(coupon({}), course, now)).toBeNull();
    expect(couponRefusal(coupon({ courseId: 'course-1' }), course, now)).toBeNull();
    expect(couponRefusal(coupon({ courseId: 'course-2' }), course, now)).toBe('not_applicable');
    expect(couponRefusal(coupon({ active: false }), course, now)).toBe('inactive');
    expect(couponRefusal(coupon({ expiresAt: now }), course, now)).toBe('expired');
    expect(couponRefusal(coupon({ expiresAt: new Date(now.getTime() + 1) }), course, now)).toBeNull();
    expect(couponRefusal(coupon({ maxUses: 10, usedCount: 10 }), course, now)).toBe('exhausted');
    expect(couponRefusal(coupon({ maxUses: 10, usedCount: 9 }), course, now)).toBeNull();
  });

  it('reads codes in any case and without stray spaces', () => {
    expect(normalizeCouponCode('  spring-25 ')).toBe('SPRING-25');
  });
});
