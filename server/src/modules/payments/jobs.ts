import { z } from 'zod';
import type { Db } from '../../platform/db/port.js';
import type { MailPort } from '../../platform/mail/port.js';
import type { PaymentGatewayPort } from '../../platform/payments/port.js';
import { defineJob, registerJob, type QueuePort } from '../../platform/queue/port.js';
import type { OrderFollowUps, OrderLedger } from './ledger.js';
import { orderPageUrl, receiptMail, refundCompletedMail } from './mails.js';
import { OrderReconciler, type ReconcileLog } from './reconcile.js';
import { OrderRepository } from './repository.js';
import { receiptNumberOf } from './views.js';

/** The receipt of a paid order. Medium, like all mail; deduplicated per order. */
export const sendReceiptJob = defineJob({
  name: 'payments.send-receipt',
  queue: 'default',
  priority: 'medium',
  attempts: 5,
  backoffMs: 10_000,
  payload: z.object({ orderId: z.string().uuid() }),
});

/** The confirmation that a refund went through (and access ended). */
export const sendRefundMailJob = defineJob({
  name: 'payments.refund-mail',
  queue: 'default',
  priority: 'medium',
  attempts: 5,
  backoffMs: 10_000,
  payload: z.object({ orderId: z.string().uuid() }),
});

/** Settles what lost webhooks left open (see reconcile.ts). */
export const reconcileOrdersJob = defineJob({
  name: 'payments.reconcile',
  queue: 'default',
  priority: 'low',
  attempts: 1,
  payload: z.object({}),
  repeat: { cron: '*/5 * * * *', payload: {} },
});

export const paymentJobs = [sendReceiptJob, sendRefundMailJob, reconcileOrdersJob];

/** What the ledger asks for after a payment or a refund: mail, through the queue, once per order. */
export function queueOrderFollowUps(queue: QueuePort): OrderFollowUps {
  return {
    async orderPaid(orderId) {
      await queue.enqueue(sendReceiptJob, { orderId }, { dedupeKey: `order-receipt:${orderId}` });
    },
    async orderRefunded(orderId) {
      await queue.enqueue(sendRefundMailJob, { orderId }, { dedupeKey: `order-refund-mail:${orderId}` });
    },
  };
}

export interface PaymentJobDependencies {
  db: Db;
  mail: MailPort;
  queue: QueuePort;
  publicUrl: string;
  /** Undefined without a gateway: reconciliation then only re-sends lost receipts. */
  gateway: PaymentGatewayPort | undefined;
  /** Undefined: reconciliation only re-sends lost receipts (nothing may change orders without it). */
  ledger: OrderLedger | undefined;
  reconcileAfterMs: number;
  logger?: ReconcileLog;
}

export function paymentJobHandlers(deps: PaymentJobDependencies) {
  const orders = new OrderRepository(deps.db);
  const reconciler = new OrderReconciler(
    orders,
    deps.ledger,
    deps.ledger ? deps.gateway : undefined,
    async (orderId, attempt) => {
      await deps.queue.enqueue(sendReceiptJob, { orderId }, { dedupeKey: `order-receipt:${orderId}:retry-${attempt}` });
    },
    { reconcileAfterMs: deps.reconcileAfterMs },
    deps.logger,
  );

  async function mailFacts(orderId: string) {
    const found = await orders.findWithCourse(orderId);
    if (!found) return undefined;
    const buyer = await orders.buyer(found.order.userId);
    // A deleted (anonymised) account gets no more mail, like the refund decisions (refund-service.ts).
    if (!buyer || buyer.deletedAt) return undefined;
    return { ...found, buyer };
  }

  return [
    registerJob(sendReceiptJob, async ({ orderId }) => {
      const facts = await mailFacts(orderId);
      // A receipt goes out once, and only for money taken (a refunded order was paid first).
      if (!facts || facts.order.receiptSentAt || !facts.order.paidAt) return;
      const { order, course, buyer } = facts;
      await deps.mail.send({
        to: [buyer.email],
        // Sent, then recorded: a worker dying between the two sends it again on retry, under this id.
        messageId: `<receipt-${order.id}@${new URL(deps.publicUrl).hostname}>`,
        ...receiptMail({
          studentName: buyer.displayName,
          courseTitle: course.title,
          receiptNumber: receiptNumberOf(order.id),
          listAmount: order.listAmount,
          discountAmount: order.discountAmount,
          amount: order.amount,
          currency: order.currency,
          couponCode: order.couponCode,
          paidAt: order.paidAt!,
          orderUrl: orderPageUrl(deps.publicUrl, order.id),
        }),
      });
      await orders.markReceiptSent(order.id, new Date());
    }),
    registerJob(sendRefundMailJob, async ({ orderId }) => {
      const facts = await mailFacts(orderId);
      if (!facts || facts.order.status !== 'refunded') return;
      const { order, course, buyer } = facts;
      await deps.mail.send({
        to: [buyer.email],
        ...refundCompletedMail({
          studentName: buyer.displayName,
          courseTitle: course.title,
          receiptNumber: receiptNumberOf(order.id),
          refundedAmount: order.refundedAmount,
          currency: order.currency,
          orderUrl: orderPageUrl(deps.publicUrl, order.id),
        }),
      });
    }),
    registerJob(reconcileOrdersJob, async () => {
      await reconciler.run();
    }),
  ];
}
