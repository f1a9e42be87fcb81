import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/apiError';
import en from '../i18n/en.json';
import ko from '../i18n/ko.json';
import {
  COMMERCE_ERROR_CODES,
  COUPON_INPUT_PROBLEMS,
  COUPON_REFUSALS,
  CheckoutNotReadyError,
  REFUND_INELIGIBILITIES,
  REVENUE_RANGE_PROBLEMS,
  checkoutStepOf,
  couponRefusalOf,
  describeCommerceError,
  formatCouponValue,
  formatMoney,
  formatMonth,
  monthOf,
  openOrderOf,
  orderBeingPaidOf,
  refundViewOf,
  shiftMonth,
} from './format';
import { ORDER_STATUSES, type OrderDetail, type OrderStatus, type RefundRequest } from './types';

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
      expect(Object.keys(catalogue.coupons.inputInvalid).sort()).toEqual([...COUPON_INPUT_PROBLEMS].sort());
      expect(Object.keys(catalogue.revenue.rangeRefused).sort()).toEqual([...REVENUE_RANGE_PROBLEMS].sort());
    }
  });

  /**
   * Every code the commerce API answers with (AppError calls in server/src/modules/payments/*.ts,
   * `grep -ohE "AppError\(\s*[0-9]{3},\s*'[a-z_]+'"`), with the details a page can meet. Left out:
   * webhook_signature_invalid, which only the payment provider's webhook calls ever see.
   */
  const SERVER_ANSWERS: [code: string, details?: Record<string, unknown>][] = [
    ['already_enrolled'],
    ['coupon_code_taken'],
    ['coupon_input_invalid'],
    ...COUPON_INPUT_PROBLEMS.map((reason): [string, Record<string, unknown>] => [
      'coupon_input_invalid',
      { reason, courseCurrency: 'USD' },
    ]),
    ['coupon_invalid'],
    ...COUPON_REFUSALS.map((reason): [string, Record<string, unknown>] => ['coupon_invalid', { reason }]),
    ['coupon_max_uses_too_low', { usedCount: 3 }],
    ['coupon_not_found'],
    ['course_free'],
    ['course_not_found'],
    ['forbidden'],
    ['idempotency_key_reused'],
    ['order_being_paid'],
    ['order_not_found'],
    ['order_not_paid', { status: 'refunded' }],
    ['order_not_pending', { status: 'paid' }],
    ['order_not_refundable'],
    ['order_open', { orderId: 'o-1', checkoutUrl: null }],
    ['own_course'],
    ['payment_gateway_error'],
    ['payments_unavailable'],
    ['refund_already_requested'],
    ['refund_failed'],
    ['refund_not_eligible'],
    ...REFUND_INELIGIBILITIES.map((reason): [string, Record<string, unknown>] => ['refund_not_eligible', { reason }]),
    ['refund_request_decided', { status: 'approved' }],
    ['refund_request_not_found'],
    ['revenue_range_invalid'],
    ['revenue_range_invalid', { reason: 'from_after_to', maxMonths: 36 }],
    ['revenue_range_invalid', { reason: 'too_long', maxMonths: 36 }],
  ];

  const lookup = (catalogue: unknown, key: string): unknown =>
    key
      .split('.')
      .reduce<unknown>(
        (node, part) =>
          typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined,
        catalogue,
      );

  it.each(SERVER_ANSWERS)('says %s %j in its own words, in English and Korean', (code, details) => {
    const message = describeCommerceError(apiError(400, code, details));
    expect(message.key).not.toBe('errors.unknown');
    for (const catalogue of [en, ko]) {
      const text = lookup(catalogue, message.key);
      expect(typeof text, `${message.key} in ${catalogue === en ? 'en' : 'ko'}`).toBe('string');
      // Every {{value}} the message needs is given.
      for (const [, name] of String(text).matchAll(/\{\{(\w+)\}\}/g)) expect(message.values).toHaveProperty(name!);
    }
  });

  it('names the field of a refused coupon, and the course’s currency when that was the problem', () => {
    expect(describeCommerceError(apiError(422, 'coupon_input_invalid', { reason: 'expires_in_past' }))).toEqual({
      key: 'commerce.coupons.inputInvalid.expires_in_past',
    });
    expect(
      describeCommerceError(
        apiError(422, 'coupon_input_invalid', { reason: 'currency_mismatch', courseCurrency: 'KRW' }),
      ),
    ).toEqual({ key: 'commerce.coupons.inputInvalid.currency_mismatch', values: { currency: 'KRW' } });
    // A reason this page does not know, or a mismatch without the currency, reads as the general message.
    expect(describeCommerceError(apiError(422, 'coupon_input_invalid', { reason: 'new_reason' }))).toEqual({
      key: 'commerce.errors.coupon_input_invalid',
    });
    expect(describeCommerceError(apiError(422, 'coupon_input_invalid', { reason: 'currency_mismatch' }))).toEqual({
      key: 'commerce.errors.coupon_input_invalid',
    });
  });

  it('says how many months a revenue report may span', () => {
    expect(
      describeCommerceError(apiError(422, 'revenue_range_invalid', { reason: 'too_long', maxMonths: 36 })),
    ).toEqual({ key: 'commerce.revenue.rangeRefused.too_long', values: { months: 36 } });
  });
});

describe('after POST /orders', () => {
  const created = (status: OrderStatus, checkoutUrl: string | null = null) => ({
    order: { id: 'o-1', status },
    checkoutUrl,
  });

  it('goes to the success page only for a paid order', () => {
    expect(checkoutStepOf(created('paid'))).toEqual({ kind: 'success', orderId: 'o-1' });
    expect(checkoutStepOf(created('pending', 'http://x/test-gateway/checkout/s'))).toEqual({
      kind: 'gateway',
      url: 'http://x/test-gateway/checkout/s',
    });
  });

  it('treats a replayed key’s ended order as spent, and a pending one without a session as not ready', () => {
    // Declined, then Back restored the checkout with the same key: no checkoutUrl, yet not free.
    expect(checkoutStepOf(created('failed'))).toEqual({ kind: 'spent' });
    expect(checkoutStepOf(created('expired'))).toEqual({ kind: 'spent' });
    expect(checkoutStepOf(created('refunded'))).toEqual({ kind: 'spent' });
    expect(checkoutStepOf(created('pending'))).toEqual({ kind: 'not_ready' });
    expect(describeCommerceError(new CheckoutNotReadyError())).toEqual({ key: 'commerce.checkout.notReady' });
  });

  it('finds the order being paid in a 409 order_being_paid', () => {
    expect(orderBeingPaidOf(apiError(409, 'order_being_paid', { orderId: 'o-2' }), 'o-1')).toBe('o-2');
    // The cancel answer carries no details: the order that was being cancelled is the one.
    expect(orderBeingPaidOf(apiError(409, 'order_being_paid'), 'o-1')).toBe('o-1');
    expect(orderBeingPaidOf(apiError(409, 'order_being_paid'))).toBeUndefined();
    expect(orderBeingPaidOf(apiError(409, 'order_open', { orderId: 'o-2' }), 'o-1')).toBeUndefined();
  });
});

describe('the receipt’s refund section', () => {
  const request = (status: RefundRequest['status']): RefundRequest => ({
    id: 'r-1',
    orderId: 'o-1',
    status,
    reason: 'Not for me.',
    watchedPercent: 5,
    daysSincePaid: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    decidedAt: status === 'requested' ? null : '2026-11-02T00:00:00.000Z',
    decisionNote: status === 'rejected' ? 'Please say more.' : null,
  });
  const detail = (
    status: OrderStatus,
    refund: Partial<OrderDetail['refund']>,
  ): Pick<OrderDetail, 'order' | 'refund'> => ({
    order: { status } as OrderDetail['order'],
    refund: {
      eligible: false,
      reason: null,
      watchedPercent: 5,
      windowEndsAt: '2026-11-08T00:00:00.000Z',
      request: null,
      ...refund,
    },
  });

  it('offers the form to the buyer while the policy allows a request', () => {
    expect(refundViewOf(detail('paid', { eligible: true }), true)).toMatchObject({ form: true, request: null });
  });

  it('shows a rejection with its note and the form again while the buyer may still ask', () => {
    const rejected = request('rejected');
    expect(refundViewOf(detail('paid', { eligible: true, request: rejected }), true)).toEqual({
      request: rejected,
      form: true,
      askAgain: true,
      ineligible: null,
      ownerOnly: false,
    });
    // Rejected and the window has passed since: the rejection, and why no new request is possible.
    expect(
      refundViewOf(detail('paid', { eligible: false, reason: 'window_passed', request: rejected }), true),
    ).toMatchObject({ request: rejected, form: false, ineligible: 'window_passed' });
  });

  it('shows an open request without repeating that it is open', () => {
    const open = request('requested');
    expect(refundViewOf(detail('paid', { reason: 'request_open', request: open }), true)).toEqual({
      request: open,
      form: false,
      askAgain: false,
      ineligible: null,
      ownerOnly: false,
    });
  });

  it('never offers the form to an admin reading someone else’s receipt', () => {
    expect(refundViewOf(detail('paid', { eligible: true, request: request('rejected') }), false)).toEqual({
      request: null,
      form: false,
      askAgain: false,
      ineligible: null,
      ownerOnly: true,
    });
    expect(refundViewOf(detail('refunded', { request: request('approved') }), false)).toBeNull();
  });

  it('says nothing about an order that was never paid', () => {
    expect(refundViewOf(detail('failed', { reason: 'not_paid' }), true)).toBeNull();
    expect(refundViewOf(detail('refunded', { reason: 'not_paid' }), true)).toBeNull();
  });
});
