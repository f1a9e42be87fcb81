// The commerce API (docs/design/payments.md): checkout, orders and receipts for students, orders
// and refund requests for admins, revenue and coupons for instructors.
import { apiErrorFrom } from '../api/apiError';
import { session } from '../auth/session';
import { queryString } from '../catalog/api';
import type { CourseCard, StudioCourseSummary } from '../catalog/types';
import type {
  AdminOrder,
  AdminRefundRequest,
  CheckoutQuote,
  Coupon,
  CouponPatch,
  CreatedOrder,
  NewCoupon,
  Order,
  OrderDetail,
  OrderStatus,
  Paged,
  RefundRequest,
  RefundRequestStatus,
  Revenue,
} from './types';

const BASE = '/api/v1';
const segment = encodeURIComponent;

type QueryValue = string | number | boolean | undefined | null;

/**
 * Like catalog/api.ts's request, plus extra headers (the Idempotency-Key of a new order).
 * Goes through the session's fetch, so a 401 refreshes the token once and sends it again.
 */
async function request<T>(
  method: string,
  path: string,
  options: {
    query?: Record<string, QueryValue>;
    body?: unknown;
    headers?: Record<string, string>;
    signal?: AbortSignal | undefined;
  } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await session.fetch(`${BASE}${path}${queryString(options.query ?? {})}`, {
    method,
    headers,
    body: body ?? null,
    credentials: 'include',
    signal: options.signal ?? null,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw apiErrorFrom(`${method} ${path}`, response.status, response.headers, parsed);
  return parsed as T;
}

export const commerceKeys = {
  quote: (courseId: string, coupon: string) => ['me', 'checkout', courseId, coupon] as const,
  myOrders: (query: object) => ['me', 'orders', query] as const,
  order: (id: string) => ['me', 'order', id] as const,
  adminOrders: (query: object) => ['admin', 'orders', query] as const,
  refundRequests: (query: object) => ['admin', 'refund-requests', query] as const,
  revenue: (query: object) => ['studio', 'revenue', query] as const,
  coupons: (query: object) => ['studio', 'coupons', query] as const,
  couponCourses: ['studio', 'coupon-courses'] as const,
  publishedCourses: (q: string) => ['studio', 'coupon-courses', 'search', q] as const,
};

// ---- student ----

export const fetchQuote = (courseId: string, coupon: string, signal?: AbortSignal) =>
  request<CheckoutQuote>('GET', `/courses/${segment(courseId)}/checkout`, { query: { coupon }, signal });

/** `idempotencyKey` is made once per visit of the checkout page, so a double click buys once. */
export const createOrder = (body: { courseId: string; couponCode?: string }, idempotencyKey: string) =>
  request<CreatedOrder>('POST', '/orders', { body, headers: { 'Idempotency-Key': idempotencyKey } });

export const cancelOrder = (id: string) => request<{ order: Order }>('POST', `/orders/${segment(id)}/cancel`);

export const fetchMyOrders = (
  query: { page: number; pageSize: number; status?: OrderStatus | undefined },
  signal?: AbortSignal,
) => request<Paged<Order>>('GET', '/me/orders', { query, signal });

export const fetchOrder = (id: string, signal?: AbortSignal) =>
  request<OrderDetail>('GET', `/orders/${segment(id)}`, { signal });

export const requestRefund = (orderId: string, reason: string) =>
  request<{ request: RefundRequest }>('POST', `/orders/${segment(orderId)}/refund-request`, { body: { reason } });

// ---- admin ----

export const fetchAdminOrders = (
  query: { status?: OrderStatus | undefined; q?: string | undefined; page: number; pageSize: number },
  signal?: AbortSignal,
) => request<Paged<AdminOrder>>('GET', '/admin/orders', { query, signal });

export const refundOrder = (id: string, reason: string) =>
  request<{ order: Order }>('POST', `/admin/orders/${segment(id)}/refund`, { body: { reason } });

export const fetchRefundRequests = (
  query: { status?: RefundRequestStatus | undefined; page: number; pageSize: number },
  signal?: AbortSignal,
) => request<Paged<AdminRefundRequest>>('GET', '/admin/refund-requests', { query, signal });

export const approveRefundRequest = (id: string, note: string) =>
  request<{ request: RefundRequest; order: Order }>('POST', `/admin/refund-requests/${segment(id)}/approve`, {
    body: note ? { note } : {},
  });

export const rejectRefundRequest = (id: string, note: string) =>
  request<{ request: RefundRequest }>('POST', `/admin/refund-requests/${segment(id)}/reject`, { body: { note } });

// ---- studio ----

const COURSE_PAGE_SIZE = 50;
/** Enough for any instructor; a catalogue beyond it is what the admin's search is for. */
const MAX_STUDIO_COURSE_PAGES = 20;

/** Every course of the signed-in instructor (studio/courses, page after page). */
export async function fetchAllStudioCourses(signal?: AbortSignal): Promise<StudioCourseSummary[]> {
  const items: StudioCourseSummary[] = [];
  for (let page = 1; page <= MAX_STUDIO_COURSE_PAGES; page += 1) {
    const result = await request<Paged<StudioCourseSummary>>('GET', '/studio/courses', {
      query: { page, pageSize: COURSE_PAGE_SIZE },
      signal,
    });
    items.push(...result.items);
    if (result.items.length === 0 || page * result.pageSize >= result.total) break;
  }
  return items;
}

/**
 * Published courses whose title matches `q` (all of them, newest first, when `q` is empty). Free
 * ones come too (search filters "free only", not "paid only"); the caller leaves them out.
 */
export const fetchPublishedCourses = (query: { q: string; page: number }, signal?: AbortSignal) =>
  request<Paged<CourseCard>>('GET', '/search', {
    query: {
      q: query.q,
      sort: query.q ? 'relevance' : 'newest',
      page: query.page,
      pageSize: COURSE_PAGE_SIZE,
    },
    signal,
  });

export const fetchRevenue = (query: { from: string; to: string }, signal?: AbortSignal) =>
  request<Revenue>('GET', '/studio/revenue', { query, signal });

export const fetchCoupons = (query: { page: number; pageSize: number }, signal?: AbortSignal) =>
  request<Paged<Coupon>>('GET', '/studio/coupons', { query, signal });

export const createCoupon = (body: NewCoupon) => request<{ coupon: Coupon }>('POST', '/studio/coupons', { body });

export const updateCoupon = (id: string, body: CouponPatch) =>
  request<{ coupon: Coupon }>('PATCH', `/studio/coupons/${segment(id)}`, { body });
