import { AppError } from '../app-error.js';
import { WebhookSignatureError, type GatewayEvent, type PaymentGatewayPort } from '../../platform/payments/port.js';
import type { OrderChange, OrderLedger } from './ledger.js';
import type { OrderRepository } from './repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WebhookReceipt {
  received: true;
  /** The event id was seen before: this delivery changed nothing. */
  duplicate: boolean;
}

type ActionableEvent = Exclude<GatewayEvent, { kind: 'ignored' }>;

/** What an event asks of its order. */
export function changeFor(event: ActionableEvent): OrderChange {
  switch (event.kind) {
    case 'checkout.completed':
      // An unpaid completion is a bank transfer or similar still on its way: only its intent is news.
      // (An empty intent records nothing.)
      if (event.paymentStatus === 'unpaid') return { to: 'pending', paymentIntentId: event.paymentIntentId ?? '' };
      // Paid (or "no payment required") only for what this order costs, on this order's session:
      // the ledger refuses anything else. A no-payment completion says 0, which no priced order is.
      return {
        to: 'paid',
        paymentIntentId: event.paymentIntentId,
        amount: event.amountTotal,
        currency: event.currency,
        sessionId: event.sessionId || undefined,
      };
    case 'checkout.async_payment_succeeded':
      return { to: 'paid', paymentIntentId: event.paymentIntentId, sessionId: event.sessionId || undefined };
    case 'checkout.async_payment_failed':
      return { to: 'failed', reason: 'payment_failed' };
    case 'checkout.expired':
      return { to: 'expired' };
    case 'charge.refunded':
      // The ledger compares with the order's amount (the charge's): a partial refund is only recorded.
      return { to: 'refunded', amountRefunded: event.amountRefunded };
  }
}

/**
 * The gateway's webhook: verify the signature over the raw bytes, find the order, hand the
 * change to the ledger. Every verified event is stored by id, matched or not, so a redelivery is
 * recognised and the log shows everything the gateway said.
 */
export class WebhookService {
  constructor(
    private readonly gateway: PaymentGatewayPort | undefined,
    private readonly orders: OrderRepository,
    private readonly ledger: OrderLedger,
  ) {}

  async receive(rawBody: Buffer, signatureHeader: string | undefined): Promise<WebhookReceipt> {
    if (!this.gateway) {
      throw new AppError(503, 'payments_unavailable', 'No payment gateway is configured on this site.');
    }
    let event: GatewayEvent;
    try {
      event = this.gateway.verifyWebhook(rawBody, signatureHeader);
    } catch (error) {
      if (error instanceof WebhookSignatureError) {
        throw new AppError(400, 'webhook_signature_invalid', 'The webhook signature did not verify.');
      }
      throw error;
    }
    if (event.kind === 'ignored') {
      return { received: true, duplicate: !(await this.ledger.recordUnmatched(event, 'ignored')) };
    }
    const orderId = await this.orderOf(event);
    if (!orderId) return { received: true, duplicate: !(await this.ledger.recordUnmatched(event, 'unknown_order')) };
    const result = await this.ledger.apply(orderId, changeFor(event), { eventId: event.id, eventType: event.type });
    return { received: true, duplicate: result.duplicate };
  }

  /** The order id in the metadata, else the session's order, else the payment's. */
  private async orderOf(event: ActionableEvent): Promise<string | undefined> {
    if (event.orderId && UUID.test(event.orderId)) return event.orderId;
    if ('sessionId' in event && event.sessionId) {
      const id = await this.orders.idBySessionId(event.sessionId);
      if (id) return id;
    }
    return event.paymentIntentId ? this.orders.idByPaymentIntent(event.paymentIntentId) : undefined;
  }
}
