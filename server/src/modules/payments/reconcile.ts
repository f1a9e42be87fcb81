import type { CheckoutSnapshot, PaymentGatewayPort } from '../../platform/payments/port.js';
import type { OrderChange, OrderLedger } from './ledger.js';
import type { OrderRepository, OrderRow } from './repository.js';

export interface ReconcileLog {
  warn(object: Record<string, unknown>, message: string): void;
}

export interface ReconcileSummary {
  /** Orders whose state the gateway's answer changed. */
  settled: number;
  /** Open sessions past their expiry that were closed. */
  expired: number;
  /** Receipts queued again. */
  receipts: number;
  /** Orders the gateway could not answer for this time. */
  errors: number;
}

/** Re-queues a receipt that never went out; `attempt` keeps each try's job apart from the lost one. */
export type QueueReceipt = (orderId: string, attempt: string) => Promise<void>;

const BATCH = 200;
/** A paid order whose receipt is still unsent this long after payment had its job lost. */
const RECEIPT_LATE_MS = 10 * 60_000;
/** A refund asked of the gateway settles within seconds; after this its event is presumed lost. */
const REFUND_LATE_MS = 5 * 60_000;

/**
 * The safety net for lost webhooks: asks the gateway what became of orders that have waited too
 * long, and applies the answer through the same ledger (so a late webhook afterwards is a no-op,
 * and an answer here after the webhook changes nothing).
 */
export class OrderReconciler {
  constructor(
    private readonly orders: OrderRepository,
    /** Only used with a gateway. */
    private readonly ledger: OrderLedger | undefined,
    private readonly gateway: PaymentGatewayPort | undefined,
    private readonly queueReceipt: QueueReceipt,
    private readonly options: { reconcileAfterMs: number },
    private readonly log?: ReconcileLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async run(): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = { settled: 0, expired: 0, receipts: 0, errors: 0 };
    const now = this.now().getTime();
    if (this.gateway) {
      for (const order of await this.orders.pendingBefore(new Date(now - this.options.reconcileAfterMs), BATCH)) {
        await this.guarded(order, summary, () => this.settlePending(order, summary));
      }
      for (const order of await this.orders.refundsInFlight(new Date(now - REFUND_LATE_MS), BATCH)) {
        await this.guarded(order, summary, () => this.settleRefund(order, summary));
      }
    }
    const slot = String(Math.floor(now / RECEIPT_LATE_MS));
    for (const order of await this.orders.receiptsMissing(new Date(now - RECEIPT_LATE_MS), BATCH)) {
      await this.guarded(order, summary, async () => {
        await this.queueReceipt(order.id, slot);
        summary.receipts += 1;
      });
    }
    return summary;
  }

  private async settlePending(order: OrderRow, summary: ReconcileSummary): Promise<void> {
    if (!order.checkoutSessionId) {
      // The session was never made (the gateway failed, or the process died in between): nothing
      // can be paid on it.
      await this.change(order, { to: 'failed', reason: 'checkout_not_created' }, summary);
      return;
    }
    const snapshot = await this.gateway!.retrieveCheckout(order.checkoutSessionId);
    if (snapshot.status === 'complete' && snapshot.paymentStatus !== 'unpaid') {
      await this.change(order, { to: 'paid', paymentIntentId: snapshot.paymentIntentId }, summary);
      await this.refundIfReturned(order, snapshot, summary);
      return;
    }
    if (snapshot.status === 'complete') {
      // Payment still on its way (a bank transfer); its own event, or a later run, settles it.
      if (snapshot.paymentIntentId) {
        await this.change(order, { to: 'pending', paymentIntentId: snapshot.paymentIntentId }, summary);
      }
      return;
    }
    if (snapshot.status === 'expired') {
      await this.change(order, { to: 'expired' }, summary);
      return;
    }
    const expiresAt = order.checkoutExpiresAt?.getTime();
    if (expiresAt !== undefined && expiresAt <= this.now().getTime()) {
      // Close it first, so nobody can still pay on a page we are about to call expired.
      await this.gateway!.expireCheckout(order.checkoutSessionId);
      await this.change(order, { to: 'expired' }, summary);
      summary.expired += 1;
    }
  }

  private async settleRefund(order: OrderRow, summary: ReconcileSummary): Promise<void> {
    if (!order.checkoutSessionId) return;
    const snapshot = await this.gateway!.retrieveCheckout(order.checkoutSessionId);
    await this.refundIfReturned(order, snapshot, summary);
  }

  private async refundIfReturned(order: OrderRow, snapshot: CheckoutSnapshot, summary: ReconcileSummary) {
    if (snapshot.amountRefunded > 0) {
      await this.change(order, { to: 'refunded', amountRefunded: snapshot.amountRefunded }, summary);
    }
  }

  private async change(order: OrderRow, change: OrderChange, summary: ReconcileSummary): Promise<void> {
    // A stable id per order and target: the log shows reconciliation acted, and a second run is a duplicate.
    const detail = change.to === 'refunded' ? `_${change.amountRefunded}` : '';
    const result = await this.ledger!.apply(order.id, change, {
      eventId: `reconcile_${order.id}_${change.to}${detail}`,
      eventType: 'reconciliation',
    });
    if (result.plan?.moved) summary.settled += 1;
  }

  private async guarded(order: OrderRow, summary: ReconcileSummary, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      summary.errors += 1;
      this.log?.warn({ err: error, orderId: order.id }, 'reconciliation could not settle an order this time');
    }
  }
}
