// Pure helpers of the commerce pages: money, coupon values, months, and the words for each error
// the commerce API can answer with.
import { ApiError } from '../api/apiError';
import { describeError, type ErrorMessageKey } from '../auth/errorMessages';
import { toMajorUnits } from '../catalog/format';
import type { CouponKind, CouponRefusal, Currency, OrderStatus, RefundIneligibility } from './types';

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
  'order_open',
  'order_not_pending',
  'order_not_found',
  'idempotency_key_reused',
  'refund_already_requested',
  'order_not_paid',
  'refund_request_decided',
  'coupon_code_taken',
  'coupon_not_found',
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

export type CommerceMessageKey =
  | ErrorMessageKey
  | `commerce.errors.${CommerceErrorCode}`
  | `commerce.coupon.refused.${CouponRefusal}`
  | `commerce.refund.ineligible.${RefundIneligibility}`;

export interface CommerceMessage {
  key: CommerceMessageKey;
  values?: { minutes: number };
}

function reasonOf(error: ApiError): string | undefined {
  const details = error.details;
  if (typeof details !== 'object' || details === null || !('reason' in details)) return undefined;
  return typeof details.reason === 'string' ? details.reason : undefined;
}

/** Why the coupon was refused, when `error` is a 422 coupon_invalid. */
export function couponRefusalOf(error: unknown): CouponRefusal | undefined {
  if (!(error instanceof ApiError) || error.code !== 'coupon_invalid') return undefined;
  const reason = reasonOf(error);
  // An unknown reason from a newer server still refuses the coupon, in the plainest words.
  return COUPON_REFUSALS.find((known) => known === reason) ?? 'not_found';
}

/** The words for any error of a commerce page: coupon and refund reasons, commerce codes, then the app's own. */
export function describeCommerceError(error: unknown): CommerceMessage {
  const refusal = couponRefusalOf(error);
  if (refusal) return { key: `commerce.coupon.refused.${refusal}` };
  if (error instanceof ApiError) {
    if (error.code === 'refund_not_eligible') {
      const reason = reasonOf(error);
      const known = REFUND_INELIGIBILITIES.find((candidate) => candidate === reason);
      if (known) return { key: `commerce.refund.ineligible.${known}` };
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

/** A coupon code as the server stores it: trimmed, upper-case. */
export function normalizeCouponCode(text: string): string {
  return text.trim().toUpperCase();
}

export const COUPON_CODE = /^[A-Za-z0-9_-]{3,32}$/;
