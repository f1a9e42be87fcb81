import { describe, expect, it } from 'vitest';
import type { RefundResult } from '../../platform/payments/port.js';
import type { RefundRepository, RefundRequestRow, ListedOrder } from './refund-repository.js';
import { RefundService, type RefundLedger } from './refund-service.js';

const now = new Date('2026-03-02T10:00:00Z');
const admin = { userId: 'admin-1', role: 'admin' as const };
const ORDER_ID = '0d9c7c1e-5a4b-4c3d-9e8f-7a6b5c4d3e2f';

function paidOrder(): ListedOrder {
  return {
    order: {
      id: ORDER_ID,
      userId: 'student-1',
      courseId: 'course-1',
      status: 'paid',
      listAmount: 30_000,
      discountAmount: 0,
      amount: 30_000,
      currency: 'KRW',
      couponId: null,
      couponCode: null,
      idempotencyKey: null,
      gateway: 'test',
      checkoutSessionId: 'cs_test_1',
      checkoutUrl: null,
      checkoutExpiresAt: null,
      paymentIntentId: 'pi_test_1',
      paidAt: new Date('2026-03-01T10:00:00Z'),
      failedAt: null,
      failureReason: null,
      expiredAt: null,
      refundRequestedAt: null,
      refundedAt: null,
      refundedAmount: 0,
      refundReason: null,
      receiptSentAt: null,
      createdAt: new Date('2026-03-01T09:59:00Z'),
      updatedAt: new Date('2026-03-01T10:00:00Z'),
    },
    course: { id: 'course-1', title: 'Course', slug: 'course' },
    user: { id: 'student-1', email: 'student@example.com', displayName: 'Student', locale: 'ko', deletedAt: null },
  };
}

/**
 * The service against an in-memory stand-in of its repository and ledger, for what an integration
 * test cannot easily make happen: no gateway, a gateway that answers "pending" or refuses.
 */
function harness(gatewayAnswer: RefundResult['status'] | 'none', orderPatch: Partial<ListedOrder['order']> = {}) {
  const listed = paidOrder();
  Object.assign(listed.order, orderPatch);
  let request: RefundRequestRow = {
    id: 'request-1',
    orderId: ORDER_ID,
    userId: 'student-1',
    reason: 'Not for me',
    status: 'requested',
    watchedPercent: 0,
    daysSincePaid: 1,
    decidedBy: null,
    decidedAt: null,
    decisionNote: null,
    createdAt: now,
  };
  const applied: unknown[] = [];
  const gatewayCalls: { paymentIntentId: string; idempotencyKey: string }[] = [];
  const mails: string[] = [];
  const repository = {
    order: async () => structuredClone(listed),
    request: async () => ({ ...request }),
    openRequestOf: async () => (request.status === 'requested' ? { ...request } : undefined),
    decide: async (_id: string, d: { status: 'approved' | 'rejected'; note: string | null }) => {
      if (request.status !== 'requested') return undefined;
      request = { ...request, status: d.status, decisionNote: d.note, decidedAt: now };
      return { ...request };
    },
    reopen: async () => {
      request = { ...request, status: 'requested', decidedAt: null, decisionNote: null };
    },
  };
  const ledger: RefundLedger = {
    apply: async (_orderId, change, options) => {
      applied.push({ change, options });
      listed.order.status = 'refunded';
    },
    markRefundRequested: async () => {
      listed.order.refundRequestedAt ??= now;
      return { refundRequestedAt: listed.order.refundRequestedAt };
    },
    clearRefundRequest: async () => {
      listed.order.refundRequestedAt = null;
    },
  };
  const gateway =
    gatewayAnswer === 'none'
      ? undefined
      : {
          refund: async (paymentIntentId: string, options: { idempotencyKey: string }): Promise<RefundResult> => {
            gatewayCalls.push({ paymentIntentId, idempotencyKey: options.idempotencyKey });
            return { id: 're_1', status: gatewayAnswer, amount: 30_000 };
          },
        };
  const service = new RefundService(
    // Only the methods these paths call exist; the type is the real repository's.
    repository as unknown as RefundRepository,
    ledger,
    gateway,
    { sendEmail: async (message) => (mails.push(message.subject), 'job') },
    { windowDays: 7, maxWatchedPercent: 30, publicUrl: 'https://lectio.example' },
    () => now,
  );
  return { service, applied, gatewayCalls, mails, state: () => ({ request, order: listed.order }) };
}

describe('refund service', () => {
  it('refunds through the gateway once per order, and settles the order when the gateway says succeeded', async () => {
    const h = harness('succeeded');
    const { request, order } = await h.service.approve(admin, 'request-1', ' ok ');
    expect(request).toMatchObject({ status: 'approved', decisionNote: 'ok' });
    expect(order.status).toBe('refunded');
    expect(h.gatewayCalls).toEqual([
      { paymentIntentId: 'pi_test_1', idempotencyKey: `refund:${ORDER_ID}:${now.getTime()}` },
    ]);
    expect(h.applied).toEqual([
      {
        change: { to: 'refunded', amountRefunded: 30_000, reason: 'Not for me' },
        options: { eventId: 'refund:re_1', eventType: 'refund.api' },
      },
    ]);
    expect(h.mails).toEqual([expect.stringContaining('approved')]);
  });

  it('leaves the order paid and refund-requested while the gateway is still refunding', async () => {
    const h = harness('pending');
    const { order } = await h.service.approve(admin, 'request-1', undefined);
    expect(order).toMatchObject({ status: 'paid' });
    expect(order.refundRequestedAt).toBe(now.toISOString());
    expect(h.applied).toEqual([]);
  });

  it('keeps the request open when the gateway refuses, so an admin can try again', async () => {
    const h = harness('failed');
    await expect(h.service.approve(admin, 'request-1', undefined)).rejects.toMatchObject({
      statusCode: 502,
      code: 'refund_failed',
    });
    expect(h.state().request.status).toBe('requested');
    // Not left looking like a refund in flight: reconciliation would wait for it forever.
    expect(h.state().order.refundRequestedAt).toBeNull();
    expect(h.mails).toEqual([]);
  });

  it('answers 503 payments_unavailable without a gateway, changing nothing', async () => {
    const h = harness('none');
    for (const attempt of [
      () => h.service.approve(admin, 'request-1', undefined),
      () => h.service.refundDirectly(admin, ORDER_ID, 'Goodwill'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ statusCode: 503, code: 'payments_unavailable' });
    }
    expect(h.state().request.status).toBe('requested');
    expect(h.state().order.refundRequestedAt).toBeNull();
  });

  it('refuses to refund a gateway order whose payment is unknown, leaving the access and the request', async () => {
    const h = harness('succeeded', { paymentIntentId: null });
    await expect(h.service.approve(admin, 'request-1', undefined)).rejects.toMatchObject({
      statusCode: 409,
      code: 'order_not_refundable',
    });
    await expect(h.service.refundDirectly(admin, ORDER_ID, 'Goodwill')).rejects.toMatchObject({
      statusCode: 409,
      code: 'order_not_refundable',
    });
    // Nothing marked refunded (which would end the course) while the money stays at the gateway.
    expect(h.applied).toEqual([]);
    expect(h.gatewayCalls).toEqual([]);
    expect(h.state().order.status).toBe('paid');
    expect(h.state().request.status).toBe('requested');
  });

  it('refunds an order a coupon made free without asking the gateway', async () => {
    const h = harness('succeeded', { gateway: null, amount: 0, discountAmount: 30_000, paymentIntentId: null });
    const { order } = await h.service.refundDirectly(admin, ORDER_ID, 'Goodwill');
    expect(order.status).toBe('refunded');
    expect(h.gatewayCalls).toEqual([]);
    expect(h.applied).toEqual([
      {
        change: { to: 'refunded', amountRefunded: 0, reason: 'Goodwill' },
        options: { eventId: `refund:${ORDER_ID}`, eventType: 'refund.api' },
      },
    ]);
  });

  it('answers an open request as approved when an admin refunds its order directly', async () => {
    const h = harness('succeeded');
    const { order } = await h.service.refundDirectly(admin, ORDER_ID, 'Goodwill');
    expect(order.status).toBe('refunded');
    expect(h.state().request).toMatchObject({ status: 'approved', decisionNote: 'Goodwill' });
  });
});
