import { randomUUID } from 'node:crypto';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import type { PaymentGatewayPort } from '../../platform/payments/port.js';
import type { OrderLedger } from './ledger.js';
import {
  couponInvalid,
  couponRefusal,
  priceOf,
  reserveCouponUse,
  type CouponRow,
  type Price,
  type PricedCourse,
} from './pricing.js';
import { violatedUniqueIndex, type OrderRepository, type OrderRow, type PurchasableCourse } from './repository.js';
import type { OrderStatus } from './state-machine.js';
import { toOrderView, type OrderView } from './views.js';

/** A student's refund request as the order page shows it (the refunds module keeps them). */
export interface RefundRequestView {
  id: string;
  orderId: string;
  status: 'requested' | 'approved' | 'rejected';
  reason: string;
  watchedPercent: number;
  daysSincePaid: number;
  createdAt: string;
  decidedAt: string | null;
  decisionNote: string | null;
}

/** Whether the order's student may ask for a refund now, and the request they made, if any. */
export interface RefundInfo {
  eligible: boolean;
  reason: null | 'not_paid' | 'window_passed' | 'watched_too_much' | 'request_open';
  watchedPercent: number;
  windowEndsAt: string | null;
  request: RefundRequestView | null;
}

/** The refunds module answers the refund part of an order's page (refund-service.ts). */
export interface RefundInfoProvider {
  refundInfo(order: OrderRow): Promise<RefundInfo>;
}

export interface QuoteView extends Omit<Price, 'currency'> {
  course: { id: string; title: string; slug: string };
  currency: Price['currency'];
  coupon: { code: string; kind: 'percent' | 'fixed'; percentOff: number | null; amountOff: number | null } | null;
  gateway: 'test' | 'stripe';
}

export interface CreatedOrder {
  order: OrderView;
  /** Where to send the student; null when nothing is left to pay (a 100 % coupon). */
  checkoutUrl: string | null;
  /** False when an Idempotency-Key answered an order made earlier. */
  created: boolean;
}

export interface OrderServiceLog {
  warn(object: Record<string, unknown>, message: string): void;
}

const orderNotFound = () => new AppError(404, 'order_not_found', 'No such order.');
const alreadyEnrolled = () => new AppError(409, 'already_enrolled', 'You are already enrolled in this course.');
const orderOpen = (open: OrderRow) =>
  new AppError(409, 'order_open', 'You already have an order for this course waiting for payment.', {
    orderId: open.id,
    checkoutUrl: open.checkoutUrl,
  });
const gatewayError = () =>
  new AppError(502, 'payment_gateway_error', 'The payment provider could not be reached. Try again shortly.');
const paymentsUnavailable = () =>
  new AppError(503, 'payments_unavailable', 'Paid courses cannot be bought on this site right now.');

/**
 * Quoting and buying a course: the price with any coupon, the order (idempotent, one open order
 * per course), and the gateway's checkout session. Every state change after creation goes
 * through the ledger.
 */
export class OrderService {
  constructor(
    private readonly orders: OrderRepository,
    private readonly ledger: OrderLedger,
    /** Undefined when no gateway is configured: paid courses cannot be bought. */
    private readonly gateway: PaymentGatewayPort | undefined,
    private readonly refunds: RefundInfoProvider,
    private readonly options: { publicUrl: string; checkoutExpiresMs: number },
    private readonly log?: OrderServiceLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async quote(actor: Actor, courseId: string, couponCode?: string): Promise<QuoteView> {
    const { course, gateway } = await this.purchasable(actor.userId, courseId);
    const coupon = couponCode ? await this.usableCoupon(couponCode, course) : undefined;
    return {
      course: { id: course.id, title: course.title, slug: course.slug },
      ...priceOf(course, coupon),
      coupon: coupon
        ? { code: coupon.code, kind: coupon.kind, percentOff: coupon.percentOff, amountOff: coupon.amountOff }
        : null,
      gateway: gateway.backend,
    };
  }

  async create(
    actor: Actor,
    input: { courseId: string; couponCode?: string },
    idempotencyKey?: string,
  ): Promise<CreatedOrder> {
    if (idempotencyKey) {
      const replay = await this.replay(actor.userId, idempotencyKey, input.courseId);
      if (replay) return replay;
    }
    const { course, gateway } = await this.purchasable(actor.userId, input.courseId);
    await this.refuseOpenOrder(actor.userId, course.id, idempotencyKey);
    const coupon = input.couponCode ? await this.usableCoupon(input.couponCode, course) : undefined;
    const price = priceOf(course, coupon);
    // An order to pay is born with its checkout page: the session is opened first, under the id
    // the order will have, and the order inserted with it. Inserted first, any failure between its
    // commit and attaching the session (a database restart, a lost connection) left a pending
    // order with no page to pay it on, which blocked the student until reconciliation.
    const orderId = randomUUID();
    const session = price.amount > 0 ? await this.openCheckout(orderId, price, course, actor.userId) : undefined;

    let created: { order: OrderRow; afterCommit: () => Promise<void> };
    try {
      created = await this.orders.transaction(async (tx) => {
        // One purchase decision per student at a time. The checks above ran outside this
        // transaction, and neither index stops two creates that both read "not enrolled": an order a
        // 100 % coupon pays at once is not pending, so the one-open-order index never sees it. With
        // the student's row locked, the second waits here and then sees what the first committed.
        await this.orders.lockUser(tx, actor.userId);
        if (await this.orders.isEnrolled(actor.userId, course.id, tx)) throw alreadyEnrolled();
        const open = await this.orders.findOpen(actor.userId, course.id, tx);
        if (open) throw orderOpen(open);
        if (coupon && !(await reserveCouponUse(tx, coupon.id, this.now()))) {
          // Someone took the last use (or it changed) since it was read: say which.
          const fresh = await this.orders.couponByCode(coupon.code, tx);
          throw couponInvalid((fresh && couponRefusal(fresh, course, this.now())) ?? 'exhausted');
        }
        const order = await this.orders.insert(tx, {
          id: orderId,
          userId: actor.userId,
          courseId: course.id,
          listAmount: price.listAmount,
          discountAmount: price.discountAmount,
          amount: price.amount,
          currency: price.currency,
          couponId: coupon?.id ?? null,
          couponCode: coupon?.code ?? null,
          idempotencyKey: idempotencyKey ?? null,
          gateway: session ? gateway.backend : null,
          checkoutSessionId: session?.id ?? null,
          checkoutUrl: session?.url ?? null,
          checkoutExpiresAt: session?.expiresAt ?? null,
          createdAt: this.now(),
          updatedAt: this.now(),
        });
        if (price.amount > 0) return { order, afterCommit: async () => {} };
        // Nothing to pay: paid at once, enrolled in the same transaction, no gateway involved.
        const { result, afterCommit } = await this.ledger.applyWithin(tx, order.id, { to: 'paid' });
        return { order: result.order!, afterCommit };
      });
    } catch (error) {
      // Nobody was given the session's page, so nobody can pay it; closed so it does not linger.
      if (session) await this.discardCheckout(session.id, orderId);
      const openFound = error instanceof AppError && error.code === 'order_open';
      const unique = violatedUniqueIndex(error) !== undefined;
      if (!openFound && !unique) throw error;
      // A concurrent request with the same key, or for the same course, won the race.
      const replay = idempotencyKey ? await this.replay(actor.userId, idempotencyKey, input.courseId) : undefined;
      if (replay) return replay;
      if (unique) await this.refuseOpenOrder(actor.userId, course.id, idempotencyKey);
      throw error;
    }
    await created.afterCommit();
    return this.answer(created.order, course, true);
  }

  /** The student gives up on a pending order: the session is closed and the coupon use returned. */
  async cancel(actor: Actor, orderId: string): Promise<OrderView> {
    const found = await this.orders.findWithCourse(orderId);
    // Someone else's order does not exist for them (no probing which ids are orders).
    if (!found || !can(actor, 'order.read', { ownerId: found.order.userId })) throw orderNotFound();
    const notPending = (status: OrderStatus) =>
      new AppError(409, 'order_not_pending', 'Only an order waiting for payment can be cancelled.', { status });
    if (found.order.status !== 'pending') throw notPending(found.order.status);
    if (this.gateway && found.order.checkoutSessionId) {
      await this.closeSession(this.gateway, orderId, found.order.checkoutSessionId);
    }
    const { order } = await this.ledger.apply(orderId, { to: 'expired' });
    // A payment that landed meanwhile outranks the cancellation.
    if (order!.status !== 'expired') throw notPending(order!.status);
    return toOrderView(order!, found.course);
  }

  /**
   * Closes the gateway's session before the order is called expired: a session left open could
   * still be paid, and the payment would land on an order the student was told was cancelled.
   * When closing fails the gateway is asked what became of it; only an expired session lets the
   * cancellation go on.
   */
  private async closeSession(gateway: PaymentGatewayPort, orderId: string, sessionId: string): Promise<void> {
    try {
      await gateway.expireCheckout(sessionId);
      return;
    } catch (error) {
      this.log?.warn({ err: error, orderId }, 'could not expire the checkout session');
    }
    let status: 'open' | 'complete' | 'expired';
    try {
      status = (await gateway.retrieveCheckout(sessionId)).status;
    } catch (error) {
      this.log?.warn({ err: error, orderId }, 'could not ask the gateway about the checkout session');
      throw gatewayError();
    }
    if (status === 'expired') return;
    if (status === 'complete') {
      // Paid (or being paid) meanwhile: its webhook, or reconciliation, settles the order.
      throw new AppError(409, 'order_being_paid', 'This order is being paid and can no longer be cancelled.');
    }
    throw gatewayError();
  }

  async listMine(userId: string, filter: { page: number; pageSize: number; status?: OrderStatus }) {
    const { items, total } = await this.orders.listOf(userId, filter);
    return {
      items: items.map((i) => toOrderView(i.order, i.course)),
      total,
      page: filter.page,
      pageSize: filter.pageSize,
    };
  }

  /** An order with its receipt details and refund state: its student's, or any for an admin. */
  async get(actor: Actor, orderId: string) {
    const found = await this.orders.findWithCourse(orderId);
    // Someone else's order does not exist for them (no probing which ids are orders).
    if (!found || !can(actor, 'order.read', { ownerId: found.order.userId })) throw orderNotFound();
    const [buyer, refund] = await Promise.all([
      this.orders.buyer(found.order.userId),
      this.refunds.refundInfo(found.order),
    ]);
    return {
      order: toOrderView(found.order, found.course),
      buyer: { displayName: buyer?.displayName ?? '', email: buyer?.email ?? '' },
      refund,
    };
  }

  private async purchasable(
    userId: string,
    courseId: string,
  ): Promise<{ course: PurchasableCourse & PricedCourse; gateway: PaymentGatewayPort }> {
    const course = await this.orders.course(courseId);
    if (!course || course.status !== 'published' || course.takenDownAt) {
      throw new AppError(404, 'course_not_found', 'No such course.');
    }
    if (course.instructorId === userId) {
      throw new AppError(409, 'own_course', 'Instructors already have access to their own course.');
    }
    if (!course.priceAmount) throw new AppError(409, 'course_free', 'This course is free: enroll without an order.');
    if (await this.orders.isEnrolled(userId, courseId)) throw alreadyEnrolled();
    if (!this.gateway) throw paymentsUnavailable();
    return { course: { ...course, priceAmount: course.priceAmount }, gateway: this.gateway };
  }

  private async usableCoupon(code: string, course: PurchasableCourse & PricedCourse): Promise<CouponRow> {
    const coupon = await this.orders.couponByCode(code);
    if (!coupon) throw couponInvalid('not_found');
    const refusal = couponRefusal(coupon, course, this.now());
    if (refusal) throw couponInvalid(refusal);
    return coupon;
  }

  /** One open order per course: the student is sent back to it rather than paying twice. */
  private async refuseOpenOrder(userId: string, courseId: string, idempotencyKey: string | undefined): Promise<void> {
    const open = await this.orders.findOpen(userId, courseId);
    if (!open) return;
    // A retry racing its own first request: the caller replays it (see create).
    if (idempotencyKey && open.idempotencyKey === idempotencyKey) return;
    // A session past its expiry that nobody started paying can no longer be paid: the student
    // starts over instead of waiting for reconciliation.
    if (!open.paymentIntentId && open.checkoutExpiresAt && open.checkoutExpiresAt.getTime() <= this.now().getTime()) {
      const { order } = await this.ledger.apply(open.id, { to: 'expired' });
      if (order?.status !== 'pending') return;
    }
    throw orderOpen(open);
  }

  private async replay(userId: string, key: string, courseId: string): Promise<CreatedOrder | undefined> {
    const existing = await this.orders.findByIdempotencyKey(userId, key);
    if (!existing) return undefined;
    if (existing.courseId !== courseId) {
      throw new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was used for another order.');
    }
    const found = await this.orders.findWithCourse(existing.id);
    return this.answer(found!.order, found!.course, false);
  }

  /** The gateway's checkout session for the order about to be inserted; 502 when it refuses. */
  private async openCheckout(
    orderId: string,
    price: { amount: number; currency: OrderRow['currency'] },
    course: PurchasableCourse,
    userId: string,
  ) {
    const gateway = this.gateway!;
    const buyer = await this.orders.buyer(userId);
    try {
      return await gateway.createCheckout({
        orderId,
        amount: price.amount,
        currency: price.currency,
        description: course.title,
        customerEmail: buyer?.email,
        successUrl: `${this.options.publicUrl}/checkout/success?order=${orderId}`,
        cancelUrl: `${this.options.publicUrl}/checkout/cancel?order=${orderId}`,
        expiresAt: new Date(this.now().getTime() + this.options.checkoutExpiresMs),
      });
    } catch (error) {
      // Nothing was written: no order, no coupon use; the same request (and key) can be retried.
      this.log?.warn({ err: error, orderId }, 'the payment gateway refused a checkout session');
      throw gatewayError();
    }
  }

  private async discardCheckout(sessionId: string, orderId: string): Promise<void> {
    try {
      await this.gateway!.expireCheckout(sessionId);
    } catch (error) {
      // It expires by itself at its expiry; no order points at it, and nobody has its page.
      this.log?.warn({ err: error, orderId }, 'could not expire the checkout session of an order not created');
    }
  }

  private answer(
    order: OrderRow,
    course: PurchasableCourse | { id: string; title: string; slug: string },
    created: boolean,
  ) {
    const view = toOrderView(order, course);
    return { order: view, checkoutUrl: view.checkoutUrl, created };
  }
}
