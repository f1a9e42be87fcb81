import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { toGatewayEvent, verifyStripeWebhook } from './events.js';
import { WebhookSignatureError } from './port.js';

const event = (type: string, object: Record<string, unknown>) => ({
  id: 'evt_1',
  object: 'event',
  type,
  created: 1_700_000_000,
  livemode: false,
  data: { object },
});

describe('toGatewayEvent', () => {
  it('reads an expanded payment intent and falls back to client_reference_id for the order', () => {
    expect(
      toGatewayEvent(
        event('checkout.session.completed', {
          id: 'cs_1',
          client_reference_id: 'order-1',
          payment_status: 'paid',
          payment_intent: { id: 'pi_1', object: 'payment_intent' },
          amount_total: 1250,
          currency: 'usd',
        }),
      ),
    ).toEqual({
      id: 'evt_1',
      type: 'checkout.session.completed',
      createdAt: new Date(1_700_000_000_000),
      kind: 'checkout.completed',
      sessionId: 'cs_1',
      orderId: 'order-1',
      paymentStatus: 'paid',
      paymentIntentId: 'pi_1',
      amountTotal: 1250,
      currency: 'USD',
    });
  });

  it('maps the other session events and prefers metadata.order_id', () => {
    const object = {
      id: 'cs_1',
      metadata: { order_id: 'order-2' },
      client_reference_id: 'other',
      payment_intent: 'pi_2',
    };
    expect(toGatewayEvent(event('checkout.session.async_payment_succeeded', object))).toMatchObject({
      kind: 'checkout.async_payment_succeeded',
      orderId: 'order-2',
      paymentIntentId: 'pi_2',
    });
    expect(toGatewayEvent(event('checkout.session.async_payment_failed', object)).kind).toBe(
      'checkout.async_payment_failed',
    );
    expect(toGatewayEvent(event('checkout.session.expired', { id: 'cs_1' }))).toMatchObject({
      kind: 'checkout.expired',
      orderId: undefined,
      paymentIntentId: undefined,
    });
  });

  it('acknowledges other event types as ignored', () => {
    expect(toGatewayEvent(event('payment_intent.succeeded', { id: 'pi_1' }))).toEqual({
      id: 'evt_1',
      type: 'payment_intent.succeeded',
      createdAt: new Date(1_700_000_000_000),
      kind: 'ignored',
    });
  });

  it('refuses JSON that is not an event', () => {
    expect(() => toGatewayEvent({ id: 'x', object: 'charge' })).toThrow(WebhookSignatureError);
    expect(() => toGatewayEvent([])).toThrow(WebhookSignatureError);
  });
});

describe('verifyStripeWebhook', () => {
  it('turns every verification failure into a WebhookSignatureError', () => {
    const payload = JSON.stringify(event('charge.refunded', { id: 'ch_1' }));
    const secret = 'whsec_events_test';
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect(verifyStripeWebhook(Buffer.from(payload), header, secret).kind).toBe('charge.refunded');
    expect(() => verifyStripeWebhook(Buffer.from(payload), '', secret)).toThrow(WebhookSignatureError);
    expect(() => verifyStripeWebhook(Buffer.from(payload), 'garbage', secret)).toThrow(WebhookSignatureError);
    const notEvent = '"just a string"';
    const notEventHeader = Stripe.webhooks.generateTestHeaderString({ payload: notEvent, secret });
    expect(() => verifyStripeWebhook(Buffer.from(notEvent), notEventHeader, secret)).toThrow(WebhookSignatureError);
  });
});
