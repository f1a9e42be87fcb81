// Pure helpers of the commerce pages: money, coupon values, months, and the words for each error
// the commerce API can answer with.
import { ApiError } from '../api/apiError';
import { describeError, type ErrorMessageKey } from '../auth/errorMessages';
import { toMajorUnits } from '../catalog/format';
import type {
  CouponKind,
  CouponRefusal,
  Currency,
  OrderDetail,
  OrderStatus,
  RefundIneligibility,
  RefundRequest,
} from './types';

/**
 * An amount in minor units as the locale writes it, every minor digit shown as on a receipt:
 * "$27.00", "₩39,000", "US$29.99" (Korean). The catalog's prices drop ".00"; money paid does not.
 */
export function formatMoney(amount: number, currency: Currency, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(toMajorUnits(amount, currency));
}

/** A coupon's value: "10%" or "$5" / "₩5,000". */
export function formatCouponValue(
  coupon: { kind: CouponKind; percentOff: number | null; amountOff: number | null; currency?: Currency | null },
  fallbackCurrency: Currency,
  locale: string,
): string {
  if (coupon.kind === 'percent') {
    return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(
      (coupon.percentOff ?? 0) / 100,
    );
  }
  return formatMoney(coupon.amountOff ?? 0, coupon.currency ?? fallbackCurrency, locale);
}

/** A share 0–100 as "12%" / "12%" in the locale's digits. */
export function formatPercent(percent: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(percent / 100);
}

/** Colours of an order status badge; the words come from commerce.status.<status>. */
export const ORDER_STATUS_TONE: Record<OrderStatus, string> = {
  pending: 'bg-amber-100 text-amber-900',
  paid: 'bg-emerald-100 text-emerald-900',
  failed: 'bg-red-100 text-red-900',
  expired: 'bg-slate-100 text-slate-800',
  refunded: 'bg-sky-100 text-sky-900',
};

// ---- months (revenue) ----

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** 'YYYY-MM' of `date` in UTC, the calendar the revenue report uses. */
export function monthOf(date: Date): string {
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** `month` moved by `delta` months ('2026-01', -1 → '2025-12'); undefined when not 'YYYY-MM'. */
export function shiftMonth(month: string, delta: number): string | undefined {
  const match = MONTH.exec(month);
  if (!match) return undefined;
  return monthOf(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1 + delta, 1)));
}

export function isMonth(text: string): boolean {
  return MONTH.test(text);
}

/** "November 2026" / "2026년 11월". */
export function formatMonth(month: string, locale: string): string {
  const match = MONTH.exec(month);
  if (!match) return month;
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(
    new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)),
  );
}

// ---- errors ----

/** Codes of the commerce API with a message of their own (commerce.errors.<code>). */
export const COMMERCE_ERROR_CODES = [
  'course_free',
  'payments_unavailable',
  'payment_gateway_error',
  'order_open',
  'order_being_paid',
  'order_not_pending',
  'order_not_found',
  'idempotency_key_reused',
  'refund_not_eligible',
  'refund_already_requested',
  'refund_failed',
  'refund_request_not_found',
  'order_not_paid',
  'order_not_refundable',
  'refund_request_decided',
  'coupon_code_taken',
  'coupon_not_found',
  'coupon_input_invalid',
  'coupon_max_uses_too_low',
  'revenue_range_invalid',
] as const;
export type CommerceErrorCode = (typeof COMMERCE_ERROR_CODES)[number];

export const COUPON_REFUSALS: readonly CouponRefusal[] = [
  'not_found',
  'expired',
  'exhausted',
  'not_applicable',
  'inactive',
];
export const REFUND_INELIGIBILITIES: readonly RefundIneligibility[] = [
  'not_paid',
  'window_passed',
  'watched_too_much',
  'request_open',
];

/** Which field of a new coupon the server refused (422 coupon_input_invalid, details.reason). */
export const COUPON_INPUT_PROBLEMS = [
  'percent_off_invalid',
  'percent_off_not_allowed',
  'amount_off_invalid',
  'amount_off_not_allowed',
  'currency_required',
  'currency_mismatch',
  'expires_in_past',
] as const;
export type CouponInputProblem = (typeof COUPON_INPUT_PROBLEMS)[number];

/** Why a revenue range was refused (422 revenue_range_invalid, details.reason). */
export const REVENUE_RANGE_PROBLEMS = ['from_after_to', 'too_long'] as const;
export type RevenueRangeProblem = (typeof REVENUE_RANGE_PROBLEMS)[number];

/** The checkout answered with an order that is neither paid nor ready to pay: try again shortly. */
export const CHECKOUT_NOT_READY = 'commerce.checkout.notReady';

export type CommerceMessageKey =
  | ErrorMessageKey
  | `commerce.errors.${CommerceErrorCode}`
  | `commerce.coupon.refused.${CouponRefusal}`
  | `commerce.refund.ineligible.${RefundIneligibility}`
  | `commerce.coupons.inputInvalid.${CouponInputProblem}`
  | `commerce.revenue.rangeRefused.${RevenueRangeProblem}`
  | typeof CHECKOUT_NOT_READY;

export interface CommerceMessage {
  key: CommerceMessageKey;
  values?: Record<string, string | number>;
}

function detailsOf(error: ApiError): Record<string, unknown> {
  const details = error.details;
  return typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {};
}

function reasonOf(error: ApiError): string | undefined {
  const reason = detailsOf(error).reason;
  return typeof reason === 'string' ? reason : undefined;
}

function knownReason<T extends string>(error: ApiError, known: readonly T[]): T | undefined {
  const reason = reasonOf(error);
  return known.find((candidate) => candidate === reason);
}

/** Why the coupon was refused, when `error` is a 422 coupon_invalid. */
export function couponRefusalOf(error: unknown): CouponRefusal | undefined {
  if (!(error instanceof ApiError) || error.code !== 'coupon_invalid') return undefined;
  // An unknown reason from a newer server still refuses the coupon, in the plainest words.
  return knownReason(error, COUPON_REFUSALS) ?? 'not_found';
}

/**
 * Thrown by the checkout when the server answers an order that is neither paid nor payable yet
 * (pending, its payment session not attached): nothing to open, the student should try again.
 */
export class CheckoutNotReadyError extends Error {
  constructor() {
    super('The order has no payment page yet.');
    this.name = 'CheckoutNotReadyError';
  }
}

/** The words for any error of a commerce page: coupon and refund reasons, commerce codes, then the app's own. */
export function describeCommerceError(error: unknown): CommerceMessage {
  if (error instanceof CheckoutNotReadyError) return { key: CHECKOUT_NOT_READY };
  const refusal = couponRefusalOf(error);
  if (refusal) return { key: `commerce.coupon.refused.${refusal}` };
  if (error instanceof ApiError) {
    if (error.code === 'refund_not_eligible') {
      const known = knownReason(error, REFUND_INELIGIBILITIES);
      if (known) return { key: `commerce.refund.ineligible.${known}` };
    }
    if (error.code === 'coupon_input_invalid') {
      const problem = knownReason(error, COUPON_INPUT_PROBLEMS);
      if (problem === 'currency_mismatch') {
        const currency = detailsOf(error).courseCurrency;
        if (typeof currency === 'string')
          return { key: `commerce.coupons.inputInvalid.${problem}`, values: { currency } };
      } else if (problem) return { key: `commerce.coupons.inputInvalid.${problem}` };
    }
    if (error.code === 'revenue_range_invalid') {
      const problem = knownReason(error, REVENUE_RANGE_PROBLEMS);
      const maxMonths = detailsOf(error).maxMonths;
      if (problem === 'too_long' && typeof maxMonths === 'number')
        return { key: `commerce.revenue.rangeRefused.${problem}`, values: { months: maxMonths } };
      if (problem === 'from_after_to') return { key: `commerce.revenue.rangeRefused.${problem}` };
    }
    const code = COMMERCE_ERROR_CODES.find((candidate) => candidate === error.code);
    if (code) return { key: `commerce.errors.${code}` };
  }
  return describeError(error);
}

/** `details` of a 409 order_open: the student's open order for the course and where to pay it. */
export function openOrderOf(error: unknown): { orderId: string; checkoutUrl: string | null } | undefined {
  if (!(error instanceof ApiError) || error.code !== 'order_open') return undefined;
  const details = error.details;
  if (typeof details !== 'object' || details === null) return undefined;
  const record = details as Record<string, unknown>;
  if (typeof record.orderId !== 'string') return undefined;
  return { orderId: record.orderId, checkoutUrl: typeof record.checkoutUrl === 'string' ? record.checkoutUrl : null };
}

/**
 * The order of a 409 order_being_paid (its payment session is being paid right now): the success
 * page of that order is where the student belongs. `fallback` is the order the call was about,
 * for an answer without details.
 */
export function orderBeingPaidOf(error: unknown, fallback?: string): string | undefined {
  if (!(error instanceof ApiError) || error.code !== 'order_being_paid') return undefined;
  const orderId = detailsOf(error).orderId;
  return typeof orderId === 'string' && orderId !== '' ? orderId : fallback;
}

/** Where the checkout goes with the answer of POST /orders. */
export type CheckoutStep =
  /** Paid (a coupon made it free, or a replayed key whose payment went through): the success page. */
  | { kind: 'success'; orderId: string }
  /** Waiting for payment with a session: the gateway's page. */
  | { kind: 'gateway'; url: string }
  /** The key's order ended unpaid (declined, expired, refunded): a new key makes a new order. */
  | { kind: 'spent' }
  /** Waiting for payment but no session attached yet: nothing to open, try again. */
  | { kind: 'not_ready' };

/**
 * A replayed Idempotency-Key answers the order it made, whatever became of it (a decline, then
 * the browser's Back restoring the page with the same key), so `checkoutUrl: null` alone does not
 * mean "paid": only the status says so.
 */
export function checkoutStepOf(created: {
  order: { id: string; status: OrderStatus };
  checkoutUrl: string | null;
}): CheckoutStep {
  switch (created.order.status) {
    case 'paid':
      return { kind: 'success', orderId: created.order.id };
    case 'pending':
      return created.checkoutUrl ? { kind: 'gateway', url: created.checkoutUrl } : { kind: 'not_ready' };
    case 'failed':
    case 'expired':
    case 'refunded':
      return { kind: 'spent' };
  }
}

/** What the receipt's refund section shows. */
export interface RefundView {
  /** The latest request and its decision (a rejection with the admin's note). */
  request: RefundRequest | null;
  /** The request form: for the buyer while the policy allows one, again after a rejection too. */
  form: boolean;
  /** A rejected request is shown above the form: the student may ask again. */
  askAgain: boolean;
  /** Why the buyer cannot ask (when the request shown does not already say so). */
  ineligible: RefundIneligibility | null;
  /** Someone else (an admin) reads the receipt: only the buyer may ask for a refund. */
  ownerOnly: boolean;
}

/**
 * The refund section of a receipt, or null when it has nothing to say. Only the buyer may ask
 * (the server refuses anyone else), so an admin reading the receipt is told so instead of a form.
 */
export function refundViewOf(detail: Pick<OrderDetail, 'order' | 'refund'>, isOwner: boolean): RefundView | null {
  const { order, refund } = detail;
  if (order.status !== 'paid' && order.status !== 'refunded') return null;
  if (!isOwner) {
    return order.status === 'paid'
      ? { request: null, form: false, askAgain: false, ineligible: null, ownerOnly: true }
      : null;
  }
  const request = refund.request;
  const form = order.status === 'paid' && refund.eligible;
  // An open or approved request says where things stand; after a rejection the reason still helps.
  const ineligible =
    !form && order.status === 'paid' && (!request || request.status === 'rejected') ? refund.reason : null;
  if (!request && !form && !ineligible) return null;
  return { request, form, askAgain: form && request?.status === 'rejected', ineligible, ownerOnly: false };
}

/** A coupon code as the server stores it: trimmed, upper-case. */
export function normalizeCouponCode(text: string): string {
  return text.trim().toUpperCase();
}

export const COUPON_CODE = /^[A-Za-z0-9_-]{3,32}$/;
