import { createHash, createHmac, randomBytes } from 'node:crypto';
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import Stripe from 'stripe';
import type { Db } from '../db/port.js';
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
import { testCheckoutSessions } from './schema.js';

/**
 * The built-in gateway: a Stripe Checkout look-alike inside Lectio. Sessions live in
 * `test_checkout_sessions`, the student "pays" on a page the app serves (test-gateway-http.ts),
 * and every change is announced as a Stripe-shaped event signed with Stripe's own library and
 * POSTed to the app's webhook endpoint, so the orders module runs exactly the production path.
 */

export const WEBHOOK_PATH = '/api/v1/payments/webhooks/stripe';

/** The test gateway's endpoint secret when no STRIPE_WEBHOOK_SECRET is configured. */
export function deriveTestWebhookSecret(appSecret: string): string {
  return 'whsec_' + createHmac('sha256', appSecret).update('lectio-test-gateway-webhook').digest('hex');
}

export interface WebhookDelivery {
  url: string;
  /** The exact bytes to POST (the signature covers them). */
  payload: string;
  /** The `Stripe-Signature` header value, made for this attempt. */
  signature: string;
  eventId: string;
  eventType: string;
}

/** Sends one delivery attempt; throws (or rejects) when the endpoint did not answer 2xx. */
export type DeliverWebhook = (delivery: WebhookDelivery) => Promise<void>;

export interface GatewayLogger {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface TestGatewayOptions {
  db: Db;
  /** Where the hosted page and the webhook endpoint are reached, e.g. http://127.0.0.1:3000. */
  publicUrl: string;
  webhookSecret: string;
  /**
   * Where webhooks are POSTed (+ /api/v1/payments/webhooks/stripe); the public URL by default. Set it
   * when the server cannot reach itself at its public address (say, behind a proxy it cannot see).
   */
  webhookBaseUrl?: string;
  logger?: GatewayLogger;
  /** Replaces the HTTP POST (tests capture deliveries with it). */
  deliver?: DeliverWebhook;
  /** Waits before each retry; the number of entries is the number of retries. */
  retryDelaysMs?: number[];
  /** How long close() waits for deliveries still in flight. */
  closeTimeoutMs?: number;
  now?: () => Date;
}

export type TestCheckoutErrorCode = 'not_found' | 'expired' | 'complete' | 'not_paid';

/** A call the hosted page or the orders module made that the session's state does not allow. */
export class TestCheckoutError extends Error {
  override readonly name = 'TestCheckoutError';
  constructor(
    readonly code: TestCheckoutErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What the hosted page shows. `status` is the effective one: an open session past its expiry reads expired. */
export interface TestCheckoutView {
  id: string;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid';
  amount: number;
  currency: string;
  description: string;
  customerEmail: string | null;
  successUrl: string;
  cancelUrl: string;
  expiresAt: Date;
}

type SessionRow = typeof testCheckoutSessions.$inferSelect;

interface StripeEventJson {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  type: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  data: { object: Record<string, unknown> };
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000, 15_000];
const ATTEMPT_TIMEOUT_MS = 10_000;

const randomId = (prefix: string) => prefix + randomBytes(12).toString('hex');
const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

export class TestGateway implements PaymentGatewayPort {
  readonly backend = 'test' as const;
  private readonly db: Db;
  private readonly publicUrl: string;
  private readonly webhookSecret: string;
  private readonly webhookUrl: string;
  private readonly logger: GatewayLogger | undefined;
  private readonly deliver: DeliverWebhook;
  private readonly retryDelaysMs: number[];
  private readonly closeTimeoutMs: number;
  private readonly now: () => Date;
  private readonly inFlight = new Set<Promise<void>>();
  /** Aborted by close(): retries still waiting give up (reconciliation settles those orders). */
  private readonly closing = new AbortController();

  constructor(options: TestGatewayOptions) {
    this.db = options.db;
    this.publicUrl = options.publicUrl.replace(/\/$/, '');
    this.webhookSecret = options.webhookSecret;
    this.webhookUrl = (options.webhookBaseUrl ?? this.publicUrl).replace(/\/$/, '') + WEBHOOK_PATH;
    this.logger = options.logger;
    this.deliver = options.deliver ?? postWebhook;
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    this.now = options.now ?? (() => new Date());
  }

  /** The hosted page of a session. */
  checkoutUrl(sessionId: string): string {
    return `${this.publicUrl}/test-gateway/checkout/${encodeURIComponent(sessionId)}`;
  }

  async createCheckout(request: CheckoutRequest): Promise<CheckoutSession> {
    const id = randomId('cs_test_');
    await this.db.insert(testCheckoutSessions).values({
      id,
      amount: request.amount,
      currency: request.currency,
      description: request.description,
      customerEmail: request.customerEmail ?? null,
      // What Stripe's {CHECKOUT_SESSION_ID} template turns into, so both gateways return alike.
      successUrl: withQueryParam(request.successUrl, 'session_id', id),
      cancelUrl: request.cancelUrl,
      metadata: { order_id: request.orderId },
      createdAt: this.now(),
      expiresAt: request.expiresAt,
    });
    return { id, url: this.checkoutUrl(id), expiresAt: request.expiresAt };
  }

  async retrieveCheckout(sessionId: string): Promise<CheckoutSnapshot> {
    const row = await this.load(sessionId);
    if (!row) throw new TestCheckoutError('not_found', `No checkout session ${sessionId}`);
    return {
      id: row.id,
      status: this.effectiveStatus(row),
      paymentStatus: row.paymentStatus,
      paymentIntentId: row.paymentIntentId ?? undefined,
      amountRefunded: row.refundedAmount,
      orderId: row.metadata.order_id,
    };
  }

  /**
   * Open (even if past its expiry) → expired, announced with `checkout.session.expired`. A session
   * already complete or expired is left as it is: its own events tell the order what happened.
   */
  async expireCheckout(sessionId: string): Promise<void> {
    const [row] = await this.db
      .update(testCheckoutSessions)
      .set({ status: 'expired' })
      .where(and(eq(testCheckoutSessions.id, sessionId), eq(testCheckoutSessions.status, 'open')))
      .returning();
    if (row) {
      this.schedule([this.sessionEvent('checkout.session.expired', row)]);
      return;
    }
    if (!(await this.load(sessionId))) throw new TestCheckoutError('not_found', `No checkout session ${sessionId}`);
  }

  /**
   * A full refund. Refunding a payment twice (the same idempotency key retried, or another) answers
   * the first refund again and announces nothing new, as Stripe does for a repeated key.
   */
  async refund(paymentIntentId: string, options: { idempotencyKey: string; orderId: string }): Promise<RefundResult> {
    const [refunded] = await this.db
      .update(testCheckoutSessions)
      .set({ refundedAmount: sql`${testCheckoutSessions.amount}` })
      .where(
        and(
          eq(testCheckoutSessions.paymentIntentId, paymentIntentId),
          eq(testCheckoutSessions.paymentStatus, 'paid'),
          lt(testCheckoutSessions.refundedAmount, testCheckoutSessions.amount),
        ),
      )
      .returning();
    const row = refunded ?? (await this.loadByPaymentIntent(paymentIntentId));
    if (!row || row.paymentStatus !== 'paid') {
      throw new TestCheckoutError('not_paid', `No paid payment ${paymentIntentId} to refund`);
    }
    if (refunded) {
      this.logger?.info({ paymentIntentId, orderId: options.orderId }, 'test gateway: payment refunded');
      this.schedule([this.event('charge.refunded', this.chargeObject(refunded))]);
    }
    return { id: refundIdFor(paymentIntentId), status: 'succeeded', amount: row.amount };
  }

  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): GatewayEvent {
    return verifyStripeWebhook(rawBody, signatureHeader, this.webhookSecret);
  }

  /** The session as the hosted page shows it, or undefined when there is no such session. */
  async describe(sessionId: string): Promise<TestCheckoutView | undefined> {
    const row = await this.load(sessionId);
    if (!row) return undefined;
    return {
      id: row.id,
      status: this.effectiveStatus(row),
      paymentStatus: row.paymentStatus,
      amount: row.amount,
      currency: row.currency,
      description: row.description,
      customerEmail: row.customerEmail,
      successUrl: row.successUrl,
      cancelUrl: row.cancelUrl,
      expiresAt: row.expiresAt,
    };
  }

  /**
   * The student pays: complete + paid, announced with `checkout.session.completed`. One
   * conditional update, so a double click (or two tabs) pays once; the loser gets a
   * TestCheckoutError. Returns where to send the student.
   */
  async pay(sessionId: string): Promise<string> {
    const row = await this.complete(sessionId, 'paid');
    this.schedule([this.sessionEvent('checkout.session.completed', row)]);
    return row.successUrl;
  }

  /**
   * The payment is declined: announced as an asynchronous payment that failed (completed unpaid,
   * then `checkout.session.async_payment_failed`). Returns where to send the student.
   */
  async decline(sessionId: string): Promise<string> {
    const row = await this.complete(sessionId, 'unpaid');
    this.schedule([
      this.sessionEvent('checkout.session.completed', row),
      this.sessionEvent('checkout.session.async_payment_failed', row),
    ]);
    return row.cancelUrl;
  }

  /** Resolves once every delivery scheduled so far has succeeded or given up (for tests). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closing.abort();
    if (!this.inFlight.size) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.closeTimeoutMs);
    });
    const outcome = await Promise.race([this.whenIdle(), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger?.warn({ pending: this.inFlight.size }, 'test gateway: closed with webhook deliveries in flight');
    }
  }

  private async complete(sessionId: string, paymentStatus: 'paid' | 'unpaid'): Promise<SessionRow> {
    const now = this.now();
    const [row] = await this.db
      .update(testCheckoutSessions)
      .set({ status: 'complete', paymentStatus, paymentIntentId: randomId('pi_test_'), completedAt: now })
      .where(
        and(
          eq(testCheckoutSessions.id, sessionId),
          eq(testCheckoutSessions.status, 'open'),
          gt(testCheckoutSessions.expiresAt, now),
        ),
      )
      .returning();
    if (row) return row;
    const current = await this.load(sessionId);
    if (!current) throw new TestCheckoutError('not_found', `No checkout session ${sessionId}`);
    if (current.status === 'complete') {
      throw new TestCheckoutError('complete', 'This checkout is already complete; nothing was charged again.');
    }
    throw new TestCheckoutError('expired', 'This checkout has expired and can no longer be paid.');
  }

  private effectiveStatus(row: SessionRow): TestCheckoutView['status'] {
    return row.status === 'open' && row.expiresAt.getTime() <= this.now().getTime() ? 'expired' : row.status;
  }

  private async load(sessionId: string): Promise<SessionRow | undefined> {
    const [row] = await this.db.select().from(testCheckoutSessions).where(eq(testCheckoutSessions.id, sessionId));
    return row;
  }

  private async loadByPaymentIntent(paymentIntentId: string): Promise<SessionRow | undefined> {
    const [row] = await this.db
      .select()
      .from(testCheckoutSessions)
      .where(eq(testCheckoutSessions.paymentIntentId, paymentIntentId));
    return row;
  }

  private sessionEvent(type: string, row: SessionRow): StripeEventJson {
    return this.event(type, this.sessionObject(row));
  }

  /** The fields of Stripe's Checkout Session object that a webhook consumer reads. */
  private sessionObject(row: SessionRow): Record<string, unknown> {
    return {
      id: row.id,
      object: 'checkout.session',
      mode: 'payment',
      status: row.status,
      payment_status: row.paymentStatus,
      payment_intent: row.paymentIntentId,
      amount_subtotal: row.amount,
      amount_total: row.amount,
      currency: row.currency.toLowerCase(),
      client_reference_id: row.metadata.order_id ?? null,
      customer_email: row.customerEmail,
      metadata: row.metadata,
      success_url: row.successUrl,
      cancel_url: row.cancelUrl,
      url: row.status === 'open' ? this.checkoutUrl(row.id) : null,
      created: unixSeconds(row.createdAt),
      expires_at: unixSeconds(row.expiresAt),
      livemode: false,
    };
  }

  /** Stripe copies `payment_intent_data.metadata` onto the payment, so the charge names the order. */
  private chargeObject(row: SessionRow): Record<string, unknown> {
    const paymentIntentId = row.paymentIntentId ?? '';
    return {
      id: paymentIntentId.replace(/^pi_/, 'ch_'),
      object: 'charge',
      amount: row.amount,
      amount_captured: row.amount,
      amount_refunded: row.refundedAmount,
      currency: row.currency.toLowerCase(),
      paid: true,
      captured: true,
      refunded: row.refundedAmount >= row.amount,
      status: 'succeeded',
      payment_intent: paymentIntentId,
      metadata: row.metadata,
      created: unixSeconds(row.completedAt ?? row.createdAt),
      livemode: false,
    };
  }

  private event(type: string, object: Record<string, unknown>): StripeEventJson {
    return {
      id: randomId('evt_'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: unixSeconds(this.now()),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    };
  }

  /** Delivers the events in order, in the background: the page never waits for the webhook. */
  private schedule(events: StripeEventJson[]): void {
    if (this.closing.signal.aborted) {
      this.logger?.warn({ events: events.map((e) => e.type) }, 'test gateway: closed, events not delivered');
      return;
    }
    const delivery = (async () => {
      for (const event of events) await this.deliverWithRetries(event);
    })();
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async deliverWithRetries(event: StripeEventJson): Promise<void> {
    const payload = JSON.stringify(event);
    const url = this.webhookUrl;
    for (let attempt = 0; ; attempt++) {
      try {
        // Signed per attempt, as Stripe does, so a late retry is not rejected as stale.
        const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: this.webhookSecret });
        await this.deliver({ url, payload, signature, eventId: event.id, eventType: event.type });
        return;
      } catch (error) {
        const delay = this.retryDelaysMs[attempt];
        const details = { eventId: event.id, eventType: event.type, attempt: attempt + 1, err: error };
        if (delay === undefined || this.closing.signal.aborted) {
          this.logger?.warn(details, 'test gateway: webhook delivery failed, giving up');
          return;
        }
        this.logger?.info(details, 'test gateway: webhook delivery failed, retrying');
        if (!(await sleep(delay, this.closing.signal))) {
          this.logger?.warn(details, 'test gateway: closed before the webhook could be retried');
          return;
        }
      }
    }
  }
}

/** Stripe answers a repeated refund with the same refund: derive its id from the payment. */
function refundIdFor(paymentIntentId: string): string {
  return 're_test_' + createHash('sha256').update(paymentIntentId).digest('hex').slice(0, 24);
}

/** Resolves true after `ms`, or false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const postWebhook: DeliverWebhook = async (delivery) => {
  const response = await fetch(delivery.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'stripe-signature': delivery.signature,
      'user-agent': 'Lectio-TestGateway/1.0 (+Stripe-compatible webhooks)',
    },
    body: delivery.payload,
    signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
  });
  // Drain the body so the connection can be reused.
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`The webhook endpoint answered ${response.status}`);
};
