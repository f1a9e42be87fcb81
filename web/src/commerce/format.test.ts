import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/apiError';
import en from '../i18n/en.json';
import ko from '../i18n/ko.json';
import {
  COMMERCE_ERROR_CODES,
  COUPON_REFUSALS,
  REFUND_INELIGIBILITIES,
  couponRefusalOf,
  describeCommerceError,
  formatCouponValue,
  formatMoney,
  formatMonth,
  monthOf,
  openOrderOf,
  shiftMonth,
} from './format';
import { ORDER_STATUSES } from './types';

const apiError = (status: number, code: string, details?: unknown) =>
  new ApiError(status, code, details, undefined, `HTTP ${status} (${code})`);

describe('money', () => {
  it('writes each currency in its own minor unit and the reader’s conventions', () => {
    expect(formatMoney(2999, 'USD', 'en')).toBe('$29.99');
    expect(formatMoney(2999, 'USD', 'ko')).toBe('US$29.99');
    expect(formatMoney(39000, 'KRW', 'ko')).toBe('₩39,000');
    expect(formatMoney(0, 'KRW', 'en')).toBe('₩0');
    // Money paid shows its cents, even when there are none.
    expect(formatMoney(2700, 'USD', 'en')).toBe('$27.00');
  });

  it('writes a coupon as a percentage or an amount', () => {
    expect(formatCouponValue({ kind: 'percent', percentOff: 10, amountOff: null }, 'USD', 'en')).toBe('10%');
    expect(formatCouponValue({ kind: 'fixed', percentOff: null, amountOff: 500, currency: 'USD' }, 'KRW', 'en')).toBe(
      '$5.00',
    );
    expect(formatCouponValue({ kind: 'fixed', percentOff: null, amountOff: 5000 }, 'KRW', 'ko')).toBe('₩5,000');
  });
});

describe('months', () => {
  it('counts in UTC calendar months across a year boundary', () => {
    expect(monthOf(new Date('2026-11-30T23:30:00Z'))).toBe('2026-11');
    expect(shiftMonth('2026-01', -1)).toBe('2025-12');
    expect(shiftMonth('2026-11', 2)).toBe('2027-01');
    expect(shiftMonth('2026-13', 1)).toBeUndefined();
  });

  it('names a month in the reader’s language', () => {
    expect(formatMonth('2026-11', 'en')).toBe('November 2026');
    expect(formatMonth('2026-11', 'ko')).toBe('2026년 11월');
  });
});

describe('commerce errors in words', () => {
  it('says why a coupon was refused', () => {
    const expired = apiError(422, 'coupon_invalid', { reason: 'expired' });
    expect(couponRefusalOf(expired)).toBe('expired');
    expect(describeCommerceError(expired)).toEqual({ key: 'commerce.coupon.refused.expired' });
    // A reason this page does not know still reads as a refused coupon.
    expect(describeCommerceError(apiError(422, 'coupon_invalid', { reason: 'new_reason' }))).toEqual({
      key: 'commerce.coupon.refused.not_found',
    });
    expect(couponRefusalOf(apiError(409, 'order_open'))).toBeUndefined();
  });

  it('says why a refund cannot be requested', () => {
    expect(describeCommerceError(apiError(422, 'refund_not_eligible', { reason: 'watched_too_much' }))).toEqual({
      key: 'commerce.refund.ineligible.watched_too_much',
    });
  });

  it('has words for the commerce codes and falls back to the app’s own', () => {
    expect(describeCommerceError(apiError(503, 'payments_unavailable'))).toEqual({
      key: 'commerce.errors.payments_unavailable',
    });
    expect(describeCommerceError(apiError(409, 'already_enrolled'))).toEqual({ key: 'errors.already_enrolled' });
    expect(describeCommerceError(apiError(500, 'something_else'))).toEqual({ key: 'errors.unknown' });
    expect(describeCommerceError(new TypeError('Failed to fetch'))).toEqual({ key: 'errors.network' });
  });

  it('reads the open order out of a 409 order_open', () => {
    expect(
      openOrderOf(apiError(409, 'order_open', { orderId: 'o-1', checkoutUrl: 'http://x/test-gateway/checkout/s' })),
    ).toEqual({ orderId: 'o-1', checkoutUrl: 'http://x/test-gateway/checkout/s' });
    expect(openOrderOf(apiError(409, 'order_open', { orderId: 'o-1', checkoutUrl: null }))).toEqual({
      orderId: 'o-1',
      checkoutUrl: null,
    });
    expect(openOrderOf(apiError(409, 'course_free'))).toBeUndefined();
  });
});

describe('commerce words in both languages', () => {
  it('has a label for every order status and a message for every coupon, refund and error reason', () => {
    for (const catalogue of [en.commerce, ko.commerce]) {
      expect(Object.keys(catalogue.status).sort()).toEqual([...ORDER_STATUSES].sort());
      expect(Object.keys(catalogue.coupon.refused).sort()).toEqual([...COUPON_REFUSALS].sort());
      expect(Object.keys(catalogue.refund.ineligible).sort()).toEqual([...REFUND_INELIGIBILITIES].sort());
      expect(Object.keys(catalogue.errors).sort()).toEqual([...COMMERCE_ERROR_CODES].sort());
    }
  });
});
