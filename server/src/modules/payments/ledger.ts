import type { Db } from '../../platform/db/port.js';
import { AppError } from '../app-error.js';
import type { CatalogInvalidator } from '../catalog/invalidation.js';
import type { EnrollmentRepository } from '../enrollments/repository.js';
import type { EnrollmentRevocationListener } from '../enrollments/service.js';
import { releaseCouponUse, retakeCouponUse } from './pricing.js';
import type { NewOrder, OrderRepository, OrderRow } from './repository.js';
import { describePlan, planTransition, type TransitionPlan } from './state-machine.js';

/**
 * A payment. What the event says was paid, when it says it, must be this order's: a paid event
 * for another session, another amount or another currency makes nobody paid (see paidMismatch).
 */
export interface PaidChange {
  to: 'paid';
  paymentIntentId?: string;
  /** Minor units the gateway says it took. */
  amount?: number;
  currency?: string;
  /** The checkout session the payment was made on. */
  sessionId?: string;
}

/** What an event (or a service decision) asks of an order. */
export type OrderChange =
  | PaidChange
  | { to: 'failed'; reason: string }
  | { to: 'expired' }
  /** Below the order's amount it only records the amount refunded so far (a partial refund). */
  | { to: 'refunded'; amountRefunded: number; reason?: string }
  /** Only records the payment intent of a completed session whose payment is still on its way. */
  | { to: 'pending'; paymentIntentId: string };

export interface ApplyOptions {
  /** The gateway event's id: stored in the same transaction, so a redelivery changes nothing. */
  eventId?: string;
  eventType?: string;
}

export interface ApplyResult {
  /** The event id was already stored: nothing was changed. */
  duplicate: boolean;
  /** The order after the change; undefined when there is no such order. */
  order: OrderRow | undefined;
  plan: TransitionPlan | undefined;
  /** What was recorded as the event's outcome. */
  outcome: string;
}

/** Work that follows a paid or refunded order, once it has committed: mails, through the queue. */
export interface OrderFollowUps {
  orderPaid(orderId: string): Promise<void>;
  orderRefunded(orderId: string): Promise<void>;
}

export interface LedgerLog {
  warn(object: Record<string, unknown>, message: string): void;
}

type AfterCommit = () => Promise<void>;

/**
 * The one place an order's state changes. Each change locks the order row, stores the event id,
 * moves the order along the ranked state machine and runs the effects of the transition
 * (enrolling, revoking, giving a coupon use back) in ONE transaction; what must not run inside
 * it (cache invalidation, ending playback sessions, queueing mail) runs after it commits.
 */
export class OrderLedger {
  constructor(
    private readonly orders: OrderRepository,
    private readonly enrollments: EnrollmentRepository,
    private readonly catalog: CatalogInvalidator,
    private readonly followUps: OrderFollowUps,
    private readonly revocationListeners: readonly EnrollmentRevocationListener[] = [],
    private readonly log?: LedgerLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async apply(orderId: string, change: OrderChange, options: ApplyOptions = {}): Promise<ApplyResult> {
    const { result, afterCommit } = await this.orders.transaction((tx) =>
      this.applyWithin(tx, orderId, change, options),
    );
    await afterCommit();
    return result;
  }

  /**
   * The same, inside a transaction the caller owns (an order made free by a coupon is created
   * and paid in one); the caller runs `afterCommit` once its transaction has committed.
   */
  async applyWithin(
    tx: Db,
    orderId: string,
    change: OrderChange,
    options: ApplyOptions = {},
  ): Promise<{ result: ApplyResult; afterCommit: AfterCommit }> {
    const nothing: AfterCommit = async () => {};
    const at = this.now();
    // The order first, the event second: the event row's foreign key takes a share lock on the
    // order, and taking that before FOR UPDATE would let two events for one order deadlock.
    const order = await this.orders.lock(tx, orderId);
    if (!order) {
      const outcome = 'unknown_order';
      const duplicate = options.eventId ? !(await this.record(tx, options, null, outcome, at)) : false;
      return { result: { duplicate, order: undefined, plan: undefined, outcome }, afterCommit: nothing };
    }

    const mismatch = change.to === 'paid' ? paidMismatch(order, change) : undefined;
    const decided = mismatch
      ? { patch: undefined, plan: undefined, outcome: mismatch }
      : this.decide(order, change, at);
    const { patch, plan } = decided;
    let { outcome } = decided;
    if (options.eventId && !(await this.record(tx, options, order.id, outcome, at))) {
      return { result: { duplicate: true, order, plan: undefined, outcome: 'duplicate' }, afterCommit: nothing };
    }
    if (mismatch && change.to === 'paid') {
      // Recorded and acknowledged (a retry would say the same), but nobody gets the course on it:
      // a signed event can still name the wrong order (a bug, another site on the account).
      this.log?.warn(
        {
          orderId: order.id,
          eventId: options.eventId,
          outcome,
          expected: { amount: order.amount, currency: order.currency, sessionId: order.checkoutSessionId },
          received: { amount: change.amount, currency: change.currency, sessionId: change.sessionId },
        },
        'a payment event does not match its order: not applied',
      );
    }
    if (!patch) return { result: { duplicate: false, order, plan, outcome }, afterCommit: nothing };

    const updated = await this.orders.update(tx, order.id, { ...patch, updatedAt: at });
    let enrolled = false;
    let revoked = false;
    if (plan?.enroll) {
      const enrollment = await this.enrollments.enroll(tx, {
        userId: order.userId,
        courseId: order.courseId,
        source: 'order',
        orderId: order.id,
        at,
      });
      enrolled = enrollment !== undefined;
      if (!enrolled) {
        // The student already had the course (another order, a grant): the money was taken all
        // the same, so the order is paid, but it granted nothing and refunding it takes nothing away.
        outcome = 'paid_already_enrolled';
        if (options.eventId) await this.orders.setEventOutcome(tx, options.eventId, outcome);
      }
    }
    if (plan?.revoke) {
      // Only the access this order granted: a refund of an order that granted nothing ends nothing.
      revoked = await this.enrollments.revoke(tx, {
        userId: order.userId,
        courseId: order.courseId,
        orderId: order.id,
        reason: 'refunded',
        at,
      });
    }
    if (order.couponId && plan?.releaseCoupon) await releaseCouponUse(tx, order.couponId);
    if (order.couponId && plan?.retakeCoupon) await retakeCouponUse(tx, order.couponId);

    const afterCommit: AfterCommit = async () => {
      if (!plan?.moved) return;
      if (plan.enroll && !enrolled) {
        this.log?.warn(
          { orderId: order.id, userId: order.userId, courseId: order.courseId },
          'an order was paid for a course its student already had: an admin may refund it',
        );
      }
      // Each step on its own: the order is settled, and a cache or queue hiccup must not turn the
      // webhook into an error the gateway would retry (the retry would be a duplicate anyway).
      await this.safely('catalog invalidation', order.id, async () => {
        if (enrolled || revoked) await this.catalog.courseChanged(order.courseId);
      });
      if (revoked) {
        for (const listener of this.revocationListeners) {
          await this.safely('ending playback', order.id, () =>
            listener.enrollmentRevoked(order.userId, order.courseId),
          );
        }
      }
      if (plan.to === 'paid')
        await this.safely('queueing the receipt', order.id, () => this.followUps.orderPaid(order.id));
      if (plan.to === 'refunded') {
        await this.safely('queueing the refund mail', order.id, () => this.followUps.orderRefunded(order.id));
      }
    };
    return { result: { duplicate: false, order: updated, plan, outcome }, afterCommit };
  }

  /**
   * An event that names no order we know, or that we do not act on: stored all the same, so the
   * log shows it arrived and its redelivery is recognised. False when it was already stored.
   */
  async recordUnmatched(event: { id: string; type: string }, outcome: string): Promise<boolean> {
    return this.orders.transaction((tx) =>
      this.record(tx, { eventId: event.id, eventType: event.type }, null, outcome, this.now()),
    );
  }

  /** A refund is being asked of the gateway; the refund event (or reconciliation) completes it. */
  async markRefundRequested(orderId: string, reason: string): Promise<OrderRow> {
    return this.orders.transaction(async (tx) => {
      const order = await this.orders.lock(tx, orderId);
      if (!order) throw new AppError(404, 'order_not_found', 'No such order.');
      if (order.status !== 'paid') {
        throw new AppError(409, 'order_not_paid', 'Only a paid order can be refunded.', { status: order.status });
      }
      const at = this.now();
      return this.orders.update(tx, order.id, {
        refundRequestedAt: order.refundRequestedAt ?? at,
        refundReason: reason,
        updatedAt: at,
      });
    });
  }

  /**
   * The gateway refused the refund: the order is plainly paid again (no refund in flight), so
   * reconciliation stops waiting for one and the next attempt is a new refund, not a replay.
   */
  async clearRefundRequest(orderId: string): Promise<void> {
    await this.orders.transaction(async (tx) => {
      const order = await this.orders.lock(tx, orderId);
      if (order?.status !== 'paid' || !order.refundRequestedAt) return;
      await this.orders.update(tx, order.id, { refundRequestedAt: null, updatedAt: this.now() });
    });
  }

  private decide(
    order: OrderRow,
    change: OrderChange,
    at: Date,
  ): { patch: Partial<NewOrder> | undefined; plan: TransitionPlan | undefined; outcome: string } {
    // The payment intent is learned from whichever event names it first; it never changes after.
    const intent = 'paymentIntentId' in change && change.paymentIntentId && !order.paymentIntentId;
    const intentPatch: Partial<NewOrder> = intent ? { paymentIntentId: change.paymentIntentId } : {};

    if (change.to === 'pending') {
      return {
        patch: intent ? intentPatch : undefined,
        plan: undefined,
        outcome: intent ? 'payment_intent_recorded' : `kept:${order.status}`,
      };
    }
    if (change.to === 'refunded' && change.amountRefunded < order.amount) {
      // A partial refund is money given back, not the end of the purchase: recorded, access kept.
      const refundedAmount = Math.max(order.refundedAmount, Math.max(0, Math.floor(change.amountRefunded)));
      const moved = refundedAmount !== order.refundedAmount;
      return {
        patch: moved ? { refundedAmount } : undefined,
        plan: undefined,
        outcome: moved ? `partial_refund:${refundedAmount}` : `kept:${order.status}`,
      };
    }

    const plan = planTransition(order.status, change.to);
    const outcome = describePlan(plan);
    if (!plan.moved) return { patch: intent ? intentPatch : undefined, plan, outcome };
    const patch: Partial<NewOrder> = { ...intentPatch, status: plan.to };
    if (change.to === 'paid') patch.paidAt = at;
    if (change.to === 'failed') {
      patch.failedAt = at;
      patch.failureReason = change.reason;
    }
    if (change.to === 'expired') patch.expiredAt = at;
    if (change.to === 'refunded') {
      patch.refundedAt = at;
      patch.refundedAmount = order.amount;
      if (change.reason) patch.refundReason = change.reason;
    }
    return { patch, plan, outcome };
  }

  private record(tx: Db, options: ApplyOptions, orderId: string | null, outcome: string, at: Date): Promise<boolean> {
    return this.orders.recordEvent(tx, {
      id: options.eventId!,
      type: options.eventType ?? 'unknown',
      orderId,
      outcome,
      at,
    });
  }

  private async safely(what: string, orderId: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.log?.warn({ err: error, orderId }, `order settled, but ${what} failed`);
    }
  }
}

/**
 * Why a paid event must not pay this order, or undefined when it may. Each check runs only when
 * the event says that much: a service decision (a 100 % coupon) or a reconciliation names no
 * amount. A `no_payment_required` completion says 0, which no order with a price matches.
 */
export function paidMismatch(order: OrderRow, change: PaidChange): 'session_mismatch' | 'amount_mismatch' | undefined {
  if (change.sessionId !== undefined && order.checkoutSessionId && change.sessionId !== order.checkoutSessionId) {
    return 'session_mismatch';
  }
  if (change.amount !== undefined && change.amount !== order.amount) return 'amount_mismatch';
  if (change.currency !== undefined && change.currency.toUpperCase() !== order.currency.toUpperCase()) {
    return 'amount_mismatch';
  }
  return undefined;
}
