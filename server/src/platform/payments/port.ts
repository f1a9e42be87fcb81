/**
 * The payment gateway, shaped after Stripe Checkout because Stripe is the production backend: the
 * built-in test gateway answers the same calls and signs its webhooks with Stripe's own library,
 * so the orders module runs one code path whatever the backend.
 */

export type GatewayCurrency = 'KRW' | 'USD';

export interface CheckoutRequest {
  /** Ours; it travels in the session's and the payment's metadata as `order_id`. */
  orderId: string;
  amount: number;
  currency: GatewayCurrency;
  /** The line item's name (the course title). */
  description: string;
  customerEmail: string | undefined;
  successUrl: string;
  cancelUrl: string;
  expiresAt: Date;
}

export interface CheckoutSession {
  id: string;
  /** Where the student pays: Stripe's hosted page or the test gateway's page. */
  url: string;
  expiresAt: Date;
}

/** What the gateway knows about a checkout session now (for reconciliation). */
export interface CheckoutSnapshot {
  id: string;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  paymentIntentId: string | undefined;
  /** Minor units refunded so far on the payment. */
  amountRefunded: number;
  orderId: string | undefined;
}

/**
 * A verified gateway event, reduced to what the orders module acts on. Events of other types
 * are verified and acknowledged but carry `kind: 'ignored'`.
 */
export type GatewayEvent = {
  /** `evt_…`: stored once so a redelivery changes nothing. */
  id: string;
  /** Stripe's event type, as sent. */
  type: string;
  createdAt: Date;
} & (
  | {
      kind: 'checkout.completed';
      sessionId: string;
      orderId: string | undefined;
      paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
      paymentIntentId: string | undefined;
      amountTotal: number;
      currency: string;
    }
  | {
      kind: 'checkout.async_payment_succeeded' | 'checkout.async_payment_failed' | 'checkout.expired';
      sessionId: string;
      orderId: string | undefined;
      paymentIntentId: string | undefined;
    }
  | {
      kind: 'charge.refunded';
      paymentIntentId: string | undefined;
      orderId: string | undefined;
      amount: number;
      amountRefunded: number;
    }
  | { kind: 'ignored' }
);

export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

export interface RefundResult {
  id: string;
  status: 'succeeded' | 'pending' | 'failed';
  amount: number;
}

export interface PaymentGatewayPort {
  readonly backend: 'test' | 'stripe';
  createCheckout(request: CheckoutRequest): Promise<CheckoutSession>;
  retrieveCheckout(sessionId: string): Promise<CheckoutSnapshot>;
  /** Closes an open session so it can no longer be paid (a student cancelling an order). */
  expireCheckout(sessionId: string): Promise<void>;
  /** A full refund of the payment; idempotent per `idempotencyKey`. */
  refund(paymentIntentId: string, options: { idempotencyKey: string; orderId: string }): Promise<RefundResult>;
  /**
   * Checks the `Stripe-Signature` header over the raw body (5-minute tolerance) with Stripe's
   * library and parses the event. Throws WebhookSignatureError when it does not verify.
   */
  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): GatewayEvent;
  close(): Promise<void>;
}
