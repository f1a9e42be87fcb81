import Stripe from 'stripe';
import { WebhookSignatureError, type GatewayEvent } from './port.js';

/** Stripe's own default: a signed event older than five minutes may be a replay. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Checks the `Stripe-Signature` header over the raw bytes with Stripe's library and reduces the
 * event to a GatewayEvent. Every failure (no header, wrong signature, stale timestamp, a body
 * that is not an event) is a WebhookSignatureError, so the route answers them all with one 400.
 */
export function verifyStripeWebhook(
  rawBody: Buffer,
  signatureHeader: string | undefined,
  secret: string,
): GatewayEvent {
  if (!signatureHeader) throw new WebhookSignatureError('The Stripe-Signature header is missing.');
  let event: unknown;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signatureHeader, secret, WEBHOOK_TOLERANCE_SECONDS);
  } catch (error) {
    // Stripe's message says which check failed (timestamp, signature, JSON) and never the secret.
    const reason = error instanceof Error ? error.message : String(error);
    throw new WebhookSignatureError(`The webhook did not verify: ${reason}`);
  }
  return toGatewayEvent(event);
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stringOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const numberOf = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** An id field Stripe may send as the id or, when expanded, as the object carrying it. */
const idOf = (value: unknown): string | undefined =>
  stringOf(value) ?? (isObject(value) ? stringOf(value.id) : undefined);

const metadataOrderId = (object: JsonObject): string | undefined =>
  isObject(object.metadata) ? stringOf(object.metadata.order_id) : undefined;

const PAYMENT_STATUSES = ['paid', 'unpaid', 'no_payment_required'] as const;
type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

const paymentStatusOf = (value: unknown): PaymentStatus =>
  PAYMENT_STATUSES.find((status) => status === value) ?? 'unpaid';

const SESSION_EVENT_KINDS = {
  'checkout.session.async_payment_succeeded': 'checkout.async_payment_succeeded',
  'checkout.session.async_payment_failed': 'checkout.async_payment_failed',
  'checkout.session.expired': 'checkout.expired',
} as const;

/**
 * A Stripe event object (already verified) → what the orders module acts on. Read defensively:
 * the payload is JSON from outside, typed by Stripe's library but not checked by it.
 */
export function toGatewayEvent(event: unknown): GatewayEvent {
  if (!isObject(event) || event.object !== 'event' || !stringOf(event.id) || !stringOf(event.type)) {
    throw new WebhookSignatureError('The webhook body is not a Stripe event.');
  }
  const base = {
    id: event.id as string,
    type: event.type as string,
    createdAt: new Date(numberOf(event.created) * 1000),
  };
  const object = isObject(event.data) && isObject(event.data.object) ? event.data.object : undefined;
  if (!object) return { ...base, kind: 'ignored' };

  if (base.type === 'checkout.session.completed') {
    return {
      ...base,
      kind: 'checkout.completed',
      sessionId: stringOf(object.id) ?? '',
      orderId: metadataOrderId(object) ?? stringOf(object.client_reference_id),
      paymentStatus: paymentStatusOf(object.payment_status),
      paymentIntentId: idOf(object.payment_intent),
      amountTotal: numberOf(object.amount_total),
      currency: (stringOf(object.currency) ?? '').toUpperCase(),
    };
  }
  if (base.type in SESSION_EVENT_KINDS) {
    return {
      ...base,
      kind: SESSION_EVENT_KINDS[base.type as keyof typeof SESSION_EVENT_KINDS],
      sessionId: stringOf(object.id) ?? '',
      orderId: metadataOrderId(object) ?? stringOf(object.client_reference_id),
      paymentIntentId: idOf(object.payment_intent),
    };
  }
  if (base.type === 'charge.refunded') {
    return {
      ...base,
      kind: 'charge.refunded',
      paymentIntentId: idOf(object.payment_intent),
      orderId: metadataOrderId(object),
      amount: numberOf(object.amount),
      amountRefunded: numberOf(object.amount_refunded),
    };
  }
  return { ...base, kind: 'ignored' };
}
