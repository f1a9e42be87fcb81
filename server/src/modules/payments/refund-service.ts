import type { MailMessage } from '../../platform/mail/port.js';
import type { PaymentGatewayPort } from '../../platform/payments/port.js';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import type { Page } from '../catalog/service.js';
import type { OrderChange, ApplyOptions } from './ledger.js';
import { refundDecisionMail } from './refund-mails.js';
import { decideRefund, type RefundPolicyConfig, type RefundRefusal } from './refund-policy.js';
import type {
  ListedOrder,
  OrderUser,
  RefundRepository,
  RefundRequestRow,
  RefundRequestStatus,
} from './refund-repository.js';
import type { OrderRow } from './repository.js';
import type { OrderStatus } from './state-machine.js';
import { receiptNumberOf, toOrderView, type OrderView } from './views.js';

export interface RefundRequestView {
  id: string;
  orderId: string;
  status: RefundRequestStatus;
  reason: string;
  watchedPercent: number;
  daysSincePaid: number;
  createdAt: string;
  decidedAt: string | null;
  decisionNote: string | null;
}

/** The refund part of an order page: may the student ask, and if not, why. */
export interface RefundInfo {
  eligible: boolean;
  reason: RefundRefusal | null;
  watchedPercent: number;
  windowEndsAt: string | null;
  request: RefundRequestView | null;
}

export type AdminOrderView = OrderView & { user: { id: string; email: string; displayName: string } };

export interface AdminRefundRequestView {
  request: RefundRequestView;
  order: OrderView;
  user: { id: string; email: string; displayName: string };
}

/** The order changes a refund makes: the orders module's ledger (ledger.ts). */
export interface RefundLedger {
  apply(orderId: string, change: OrderChange, options?: ApplyOptions): Promise<unknown>;
  markRefundRequested(orderId: string, reason: string): Promise<{ refundRequestedAt: Date | null }>;
  clearRefundRequest(orderId: string): Promise<void>;
}

export interface RefundMailer {
  sendEmail(message: MailMessage, options?: { dedupeKey?: string }): Promise<string>;
}

type PolicyOrder = Pick<OrderRow, 'id' | 'userId' | 'courseId' | 'status' | 'paidAt' | 'refundRequestedAt'>;

export function toRefundRequestView(row: RefundRequestRow): RefundRequestView {
  return {
    id: row.id,
    orderId: row.orderId,
    status: row.status,
    reason: row.reason,
    watchedPercent: row.watchedPercent,
    daysSincePaid: row.daysSincePaid,
    createdAt: row.createdAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decisionNote: row.decisionNote,
  };
}

const publicUser = (user: OrderUser) => ({ id: user.id, email: user.email, displayName: user.displayName });
const orderNotFound = () => new AppError(404, 'order_not_found', 'No such order.');
const requestNotFound = () => new AppError(404, 'refund_request_not_found', 'No such refund request.');
const requestDecided = (status: RefundRequestStatus) =>
  new AppError(409, 'refund_request_decided', 'This refund request has already been decided.', { status });

/**
 * Refunds: a student asks under the policy (refund-policy.ts), an admin approves or rejects, or
 * refunds any paid order directly. The money goes back through the gateway; the order becomes
 * refunded (and the enrollment ends) through the ledger, when the gateway confirms it, here or
 * by its webhook. Also the admin's list of orders.
 */
export class RefundService {
  constructor(
    private readonly refunds: RefundRepository,
    private readonly ledger: RefundLedger,
    /** Undefined when no gateway is configured: nothing can be refunded then. */
    private readonly gateway: Pick<PaymentGatewayPort, 'refund'> | undefined,
    private readonly mailer: RefundMailer,
    private readonly options: RefundPolicyConfig & { publicUrl: string },
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** For the order page (the orders module's `GET /orders/:id`). */
  async refundInfo(order: PolicyOrder): Promise<RefundInfo> {
    const latest = await this.refunds.latestRequestOf(order.id);
    const decision = await this.decide(order, latest?.status === 'requested');
    return {
      eligible: decision.eligible,
      reason: decision.reason,
      watchedPercent: decision.watchedPercent,
      windowEndsAt: decision.windowEndsAt?.toISOString() ?? null,
      request: latest ? toRefundRequestView(latest) : null,
    };
  }

  /** A student asks for their money back; the policy decides whether they may, an admin later whether they get it. */
  async request(actor: Actor, orderId: string, reason: string): Promise<RefundRequestView> {
    const found = await this.refunds.order(orderId);
    // Someone else's order does not exist for the caller, admins included: they refund directly.
    if (!found || !can(actor, 'refund.request', { ownerId: found.order.userId })) throw orderNotFound();
    const open = await this.refunds.openRequestOf(orderId);
    const decision = await this.decide(found.order, open !== undefined);
    if (decision.reason === 'request_open') throw this.alreadyRequested();
    if (!decision.eligible) {
      throw new AppError(422, 'refund_not_eligible', 'This order cannot be refunded on request.', {
        reason: decision.reason,
        watchedPercent: decision.watchedPercent,
        windowEndsAt: decision.windowEndsAt?.toISOString() ?? null,
      });
    }
    const row = await this.refunds.insertRequest({
      orderId,
      userId: found.order.userId,
      reason,
      watchedPercent: decision.watchedPercent,
      daysSincePaid: decision.daysSincePaid,
      createdAt: this.now(),
    });
    // Two tabs asking at once: the one-open-request index lets one in.
    if (!row) throw this.alreadyRequested();
    return toRefundRequestView(row);
  }

  async approve(
    admin: Actor,
    requestId: string,
    note: string | undefined,
  ): Promise<{ request: RefundRequestView; order: OrderView }> {
    const gateway = this.requireGateway();
    const pending = await this.refunds.request(requestId);
    if (!pending) throw requestNotFound();
    if (pending.status !== 'requested') throw requestDecided(pending.status);
    const decided = await this.refunds.decide(requestId, {
      status: 'approved',
      decidedBy: admin.userId,
      decidedAt: this.now(),
      note: note?.trim() || null,
    });
    if (!decided) throw requestDecided((await this.refunds.request(requestId))?.status ?? 'approved');
    let order: ListedOrder;
    try {
      order = await this.refundOrder(gateway, decided.orderId, decided.reason);
    } catch (error) {
      // Nothing was refunded: the request stays open so an admin can try again.
      await this.refunds.reopen(requestId);
      throw error;
    }
    await this.mailDecision('approved', order, decided);
    return { request: toRefundRequestView(decided), order: toOrderView(order.order, order.course) };
  }

  async reject(admin: Actor, requestId: string, note: string): Promise<{ request: RefundRequestView }> {
    const pending = await this.refunds.request(requestId);
    if (!pending) throw requestNotFound();
    if (pending.status !== 'requested') throw requestDecided(pending.status);
    const decided = await this.refunds.decide(requestId, {
      status: 'rejected',
      decidedBy: admin.userId,
      decidedAt: this.now(),
      note: note.trim(),
    });
    if (!decided) throw requestDecided((await this.refunds.request(requestId))?.status ?? 'rejected');
    const order = await this.refunds.order(decided.orderId);
    if (order) await this.mailDecision('rejected', order, decided);
    return { request: toRefundRequestView(decided) };
  }

  /**
   * An admin refunds any paid order, policy or not (a goodwill refund, a dispute). A student's
   * open request for it is answered as approved at the same time.
   */
  async refundDirectly(admin: Actor, orderId: string, reason: string): Promise<{ order: OrderView }> {
    const gateway = this.requireGateway();
    const current = await this.refunds.order(orderId);
    if (!current) throw orderNotFound();
    // Refunding twice is refused outright here; approving a request whose order was refunded meanwhile is not.
    if (current.order.status !== 'paid') {
      throw new AppError(409, 'order_not_paid', 'Only a paid order can be refunded.', { status: current.order.status });
    }
    const order = await this.refundOrder(gateway, orderId, reason);
    const open = await this.refunds.openRequestOf(orderId);
    if (open) {
      await this.refunds.decide(open.id, {
        status: 'approved',
        decidedBy: admin.userId,
        decidedAt: this.now(),
        note: reason,
      });
    }
    return { order: toOrderView(order.order, order.course) };
  }

  async listRequests(query: {
    status?: RefundRequestStatus;
    page: number;
    pageSize: number;
  }): Promise<Page<AdminRefundRequestView>> {
    const { items, total } = await this.refunds.listRequests(query);
    return {
      items: items.map((i) => ({
        request: toRefundRequestView(i.request),
        order: toOrderView(i.order, i.course),
        user: publicUser(i.user),
      })),
      total,
      page: query.page,
      pageSize: query.pageSize,
    };
  }

  async listOrders(query: {
    status?: OrderStatus;
    q?: string;
    page: number;
    pageSize: number;
  }): Promise<Page<AdminOrderView>> {
    const { items, total } = await this.refunds.listOrders(query);
    return {
      items: items.map((i) => ({ ...toOrderView(i.order, i.course), user: publicUser(i.user) })),
      total,
      page: query.page,
      pageSize: query.pageSize,
    };
  }

  /**
   * Asks the gateway to refund the whole payment. The order is marked as refund-requested first,
   * so reconciliation finds it should the answer get lost. When the gateway says the refund
   * succeeded the order becomes refunded now; otherwise the gateway's refund event does it later.
   * The idempotency key is per attempt (`refund:<order>:<attempt>`): an approval retried after a
   * timeout refunds once, and an attempt after a refusal is a new refund.
   */
  private async refundOrder(
    gateway: Pick<PaymentGatewayPort, 'refund'>,
    orderId: string,
    reason: string,
  ): Promise<ListedOrder> {
    const found = await this.refunds.order(orderId);
    if (!found) throw orderNotFound();
    const { order } = found;
    if (order.status === 'refunded') return found;
    if (order.status !== 'paid') {
      throw new AppError(409, 'order_not_paid', 'Only a paid order can be refunded.', { status: order.status });
    }
    if (order.gateway === null && order.amount === 0) {
      // Paid without the gateway (a coupon made it free): nothing to give back but the access.
      await this.ledger.apply(
        orderId,
        { to: 'refunded', amountRefunded: order.amount, reason },
        { eventId: `refund:${orderId}`, eventType: 'refund.api' },
      );
    } else if (!order.paymentIntentId) {
      // Money was taken through the gateway but we do not know which payment: marking it refunded
      // here would end the access while the student's money stays with the gateway.
      throw new AppError(
        409,
        'order_not_refundable',
        'This order has no payment on record at the gateway; refund it there by hand.',
      );
    } else {
      const marked = await this.ledger.markRefundRequested(orderId, reason);
      // One key per attempt: a retry after a timeout (the mark still set) replays the same refund,
      // while an attempt after a refusal (the mark cleared) is a new one, not Stripe's cached refusal.
      const attempt = marked.refundRequestedAt?.getTime() ?? 0;
      const idempotencyKey = `refund:${orderId}:${attempt}`;
      const result = await gateway.refund(order.paymentIntentId, { idempotencyKey, orderId });
      if (result.status === 'failed') {
        await this.ledger.clearRefundRequest(orderId);
        throw new AppError(
          502,
          'refund_failed',
          'The payment gateway refused the refund; try again or refund by hand.',
        );
      }
      if (result.status === 'succeeded') {
        await this.ledger.apply(
          orderId,
          { to: 'refunded', amountRefunded: order.amount, reason },
          { eventId: `refund:${result.id}`, eventType: 'refund.api' },
        );
      }
    }
    const after = await this.refunds.order(orderId);
    if (!after) throw orderNotFound();
    return after;
  }

  private async decide(order: PolicyOrder, hasOpenRequest: boolean) {
    // Watching only matters for an order that could be refunded; skip the query otherwise.
    const share =
      order.status === 'paid'
        ? await this.refunds.watchedShare(order.userId, order.courseId)
        : { watchedSeconds: 0, totalSeconds: 0 };
    return decideRefund(
      {
        status: order.status,
        paidAt: order.paidAt,
        refundRequestedAt: order.refundRequestedAt,
        hasOpenRequest,
        ...share,
      },
      this.options,
      this.now(),
    );
  }

  private async mailDecision(
    decision: 'approved' | 'rejected',
    { order, course, user }: ListedOrder,
    request: RefundRequestRow,
  ): Promise<void> {
    if (user.deletedAt) return;
    const mail = refundDecisionMail(decision, {
      studentName: user.displayName,
      courseTitle: course.title,
      receiptNumber: receiptNumberOf(order.id),
      orderUrl: `${this.options.publicUrl}/me/orders/${order.id}`,
      note: request.decisionNote,
    });
    await this.mailer.sendEmail({ to: [user.email], ...mail }, { dedupeKey: `refund-decision:${request.id}` });
  }

  private requireGateway(): Pick<PaymentGatewayPort, 'refund'> {
    if (!this.gateway) {
      throw new AppError(503, 'payments_unavailable', 'Payments are not configured on this server.');
    }
    return this.gateway;
  }

  private alreadyRequested() {
    return new AppError(409, 'refund_already_requested', 'A refund has already been requested for this order.');
  }
}
