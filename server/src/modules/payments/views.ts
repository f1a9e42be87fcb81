import type { OrderCourse, OrderRow } from './repository.js';

export interface OrderView {
  id: string;
  status: OrderRow['status'];
  course: OrderCourse;
  listAmount: number;
  discountAmount: number;
  amount: number;
  currency: OrderRow['currency'];
  couponCode: string | null;
  createdAt: string;
  paidAt: string | null;
  failedAt: string | null;
  failureReason: string | null;
  expiredAt: string | null;
  refundRequestedAt: string | null;
  refundedAt: string | null;
  refundedAmount: number;
  /** Only while the order can still be paid. */
  checkoutUrl: string | null;
  receiptNumber: string;
}

const iso = (at: Date | null) => (at ? at.toISOString() : null);

/** What a receipt is filed under: short enough to read out on the phone, derived so it never needs storing. */
export function receiptNumberOf(orderId: string): string {
  return `LR-${orderId.replace(/-/g, '').slice(0, 12).toUpperCase()}`;
}

export function toOrderView(order: OrderRow, course: OrderCourse): OrderView {
  return {
    id: order.id,
    status: order.status,
    course: { id: course.id, title: course.title, slug: course.slug },
    listAmount: order.listAmount,
    discountAmount: order.discountAmount,
    amount: order.amount,
    currency: order.currency,
    couponCode: order.couponCode,
    createdAt: order.createdAt.toISOString(),
    paidAt: iso(order.paidAt),
    failedAt: iso(order.failedAt),
    failureReason: order.failureReason,
    expiredAt: iso(order.expiredAt),
    refundRequestedAt: iso(order.refundRequestedAt),
    refundedAt: iso(order.refundedAt),
    refundedAmount: order.refundedAmount,
    checkoutUrl: order.status === 'pending' ? order.checkoutUrl : null,
    receiptNumber: receiptNumberOf(order.id),
  };
}
