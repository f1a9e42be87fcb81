import Stripe from 'stripe';
import { withQueryParam } from './checkout-urls.js';
import { verifyStripeWebhook } from './events.js';
import type {
  CheckoutRequest,
  CheckoutSession,
  CheckoutSnapshot,
  GatewayEvent,
  PaymentGatewayPort,
  RefundResult,
} from './port.js';

export interface StripeGatewayOptions {
  secretKey: string;
  webhookSecret: string;
  /** Only for tests: a local stand-in for https://api.stripe.com. */
  apiBase?: string;
  /** Per request, in milliseconds. */
  timeoutMs?: number;
}

/** Stripe Checkout (hosted payment page) and Stripe's refunds, behind the gateway port. */
export class StripeGateway implements PaymentGatewayPort {
  readonly backend = 'stripe' as const;
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;

  constructor(options: StripeGatewayOptions) {
    this.webhookSecret = options.webhookSecret;
    this.stripe = new Stripe(options.secretKey, {
      ...apiHost(options.apiBase),
      // Stripe's client retries network errors and 409/5xx with the same idempotency key.
      maxNetworkRetries: 2,
      timeout: options.timeoutMs ?? 20_000,
      appInfo: { name: 'Lectio' },
    });
  }

  async createCheckout(request: CheckoutRequest): Promise<CheckoutSession> {
    const session = await this.stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: request.currency.toLowerCase(),
              // Our amounts are minor units already; KRW is zero-decimal in Stripe as well.
              unit_amount: request.amount,
              product_data: { name: request.description },
            },
          },
        ],
        success_url: withQueryParam(request.successUrl, 'session_id', '{CHECKOUT_SESSION_ID}'),
        cancel_url: request.cancelUrl,
        client_reference_id: request.orderId,
        metadata: { order_id: request.orderId },
        // Copied onto the payment and its charge, so refund events name the order too.
        payment_intent_data: { metadata: { order_id: request.orderId } },
        ...(request.customerEmail ? { customer_email: request.customerEmail } : {}),
        expires_at: Math.floor(request.expiresAt.getTime() / 1000),
      },
      // One session per order, even if the call is retried after a lost response.
      { idempotencyKey: `checkout:${request.orderId}` },
    );
    if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a URL`);
    return { id: session.id, url: session.url, expiresAt: new Date(session.expires_at * 1000) };
  }

  async retrieveCheckout(sessionId: string): Promise<CheckoutSnapshot> {
    const session = await this.stripe.checkout.sessions.retrieve(sessionId, {
      expand: ['payment_intent.latest_charge'],
    });
    const intent = session.payment_intent;
    const charge = typeof intent === 'object' && intent !== null ? intent.latest_charge : null;
    return {
      id: session.id,
      status: sessionStatusOf(session.status),
      paymentStatus: paymentStatusOf(session.payment_status),
      paymentIntentId: typeof intent === 'string' ? intent : (intent?.id ?? undefined),
      amountRefunded: typeof charge === 'object' && charge !== null ? charge.amount_refunded : 0,
      orderId: session.metadata?.order_id ?? session.client_reference_id ?? undefined,
    };
  }

  /**
   * Only an open session can be expired. One that completed meanwhile (the student paid as they
   * cancelled) is left alone: its payment events settle the order.
   */
  async expireCheckout(sessionId: string): Promise<void> {
    try {
      await this.stripe.checkout.sessions.expire(sessionId);
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
      const session = await this.stripe.checkout.sessions.retrieve(sessionId);
      if (session.status === 'open') throw error;
    }
  }

  async refund(paymentIntentId: string, options: { idempotencyKey: string; orderId: string }): Promise<RefundResult> {
    try {
      const refund = await this.stripe.refunds.create(
        { payment_intent: paymentIntentId, metadata: { order_id: options.orderId } },
        { idempotencyKey: options.idempotencyKey },
      );
      return toRefundResult(refund);
    } catch (error) {
      // Refunded before under another key (say, in the Dashboard): answer with that refund.
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'charge_already_refunded') {
        const earlier = await this.stripe.refunds.list({ payment_intent: paymentIntentId, limit: 10 });
        const refund = earlier.data.find((r) => r.status === 'succeeded') ?? earlier.data[0];
        if (refund) return toRefundResult(refund);
      }
      throw error;
    }
  }

  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): GatewayEvent {
    return verifyStripeWebhook(rawBody, signatureHeader, this.webhookSecret);
  }

  async close(): Promise<void> {
    // Stripe's client keeps no connections that need closing.
  }
}

const SESSION_STATUSES = ['open', 'complete', 'expired'] as const;
const PAYMENT_STATUSES = ['paid', 'unpaid', 'no_payment_required'] as const;

/** Stripe types leave room for values added later; an unknown one counts as still open (not settled). */
function sessionStatusOf(status: string | null): CheckoutSnapshot['status'] {
  return SESSION_STATUSES.find((s) => s === status) ?? 'open';
}

function paymentStatusOf(status: string): CheckoutSnapshot['paymentStatus'] {
  return PAYMENT_STATUSES.find((s) => s === status) ?? 'unpaid';
}

function toRefundResult(refund: Stripe.Refund): RefundResult {
  const status =
    refund.status === 'succeeded'
      ? 'succeeded'
      : refund.status === 'failed' || refund.status === 'canceled'
        ? 'failed'
        : 'pending';
  return { id: refund.id, status, amount: refund.amount };
}

function apiHost(apiBase: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}
