import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate.js';
import { openMemoryPglite } from '../db/pglite.js';
import type { DatabasePort } from '../db/port.js';
import { WebhookSignatureError, type GatewayEvent } from './port.js';
import { deriveTestWebhookSecret, TestCheckoutError, TestGateway, type WebhookDelivery } from './test-gateway.js';

const PUBLIC_URL = 'http://127.0.0.1:4555';
const SECRET = deriveTestWebhookSecret('an app secret of at least thirty-two characters');

let database: DatabasePort;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  database = await openMemoryPglite();
  await migrate(database.primary);
}, 60_000);

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

afterAll(async () => {
  await database.close();
});

function setup(options: { failures?: number } = {}) {
  const deliveries: WebhookDelivery[] = [];
  let failuresLeft = options.failures ?? 0;
  const gateway = new TestGateway({
    db: database.primary,
    publicUrl: PUBLIC_URL,
    webhookSecret: SECRET,
    retryDelaysMs: [5, 5, 5],
    deliver: async (delivery) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('endpoint down');
      }
      deliveries.push(delivery);
    },
  });
  gateways.push(gateway);
  const events = async (): Promise<GatewayEvent[]> => {
    await gateway.whenIdle();
    return deliveries.map((d) => gateway.verifyWebhook(Buffer.from(d.payload), d.signature));
  };
  return { gateway, deliveries, events };
}

function checkout(gateway: TestGateway, overrides: { expiresAt?: Date; orderId?: string } = {}) {
  const orderId = overrides.orderId ?? randomUUID();
  return gateway
    .createCheckout({
      orderId,
      amount: 39_000,
      currency: 'KRW',
      description: 'TypeScript 입문',
      customerEmail: 'student@example.com',
      successUrl: `${PUBLIC_URL}/checkout/success?order=${orderId}`,
      cancelUrl: `${PUBLIC_URL}/checkout/cancel?order=${orderId}`,
      expiresAt: overrides.expiresAt ?? new Date(Date.now() + 60 * 60_000),
    })
    .then((session) => ({ session, orderId }));
}

describe('TestGateway', () => {
  it('derives a stable whsec_ secret from the app secret', () => {
    expect(SECRET).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(deriveTestWebhookSecret('an app secret of at least thirty-two characters')).toBe(SECRET);
    expect(deriveTestWebhookSecret('another app secret of thirty-two characters')).not.toBe(SECRET);
  });

  it('pays a checkout and delivers a Stripe-signed checkout.session.completed naming the order', async () => {
    const { gateway, deliveries, events } = setup();
    const { session, orderId } = await checkout(gateway);
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`${PUBLIC_URL}/test-gateway/checkout/${session.id}`);
    expect((await gateway.retrieveCheckout(session.id)).status).toBe('open');

    const redirect = await gateway.pay(session.id);
    expect(redirect).toBe(`${PUBLIC_URL}/checkout/success?order=${orderId}&session_id=${session.id}`);

    const [event] = await events();
    expect(deliveries).toHaveLength(1);
    const delivery = deliveries[0]!;
    expect(delivery.url).toBe(`${PUBLIC_URL}/api/v1/payments/webhooks/stripe`);
    // Stripe's own library accepts what the test gateway signs.
    const stripeEvent = Stripe.webhooks.constructEvent(delivery.payload, delivery.signature, SECRET, 300);
    expect(stripeEvent.id).toMatch(/^evt_/);
    expect(stripeEvent.type).toBe('checkout.session.completed');

    expect(event).toMatchObject({
      kind: 'checkout.completed',
      id: stripeEvent.id,
      sessionId: session.id,
      orderId,
      paymentStatus: 'paid',
      amountTotal: 39_000,
      currency: 'KRW',
    });
    const snapshot = await gateway.retrieveCheckout(session.id);
    expect(snapshot).toMatchObject({ status: 'complete', paymentStatus: 'paid', orderId, amountRefunded: 0 });
    expect(snapshot.paymentIntentId).toMatch(/^pi_test_/);
    expect(event?.kind === 'checkout.completed' && event.paymentIntentId).toBe(snapshot.paymentIntentId);
  });

  it('declines with completed (unpaid) then async_payment_failed, and sends the student to the cancel URL', async () => {
    const { gateway, events } = setup();
    const { session, orderId } = await checkout(gateway);
    expect(await gateway.decline(session.id)).toBe(`${PUBLIC_URL}/checkout/cancel?order=${orderId}`);
    const delivered = await events();
    expect(delivered.map((e) => e.kind)).toEqual(['checkout.completed', 'checkout.async_payment_failed']);
    expect(delivered[0]).toMatchObject({ paymentStatus: 'unpaid', orderId });
    expect(delivered[1]).toMatchObject({ sessionId: session.id, orderId });
    expect(await gateway.retrieveCheckout(session.id)).toMatchObject({ status: 'complete', paymentStatus: 'unpaid' });
  });

  it('refunds once per payment and announces charge.refunded with the order id', async () => {
    const { gateway, events } = setup();
    const { session, orderId } = await checkout(gateway);
    await gateway.pay(session.id);
    const { paymentIntentId } = await gateway.retrieveCheckout(session.id);
    const first = await gateway.refund(paymentIntentId!, { idempotencyKey: `refund:${orderId}`, orderId });
    const again = await gateway.refund(paymentIntentId!, { idempotencyKey: `refund:${orderId}`, orderId });
    expect(first).toMatchObject({ status: 'succeeded', amount: 39_000 });
    expect(again).toEqual(first);

    const delivered = await events();
    expect(delivered.map((e) => e.kind)).toEqual(['checkout.completed', 'charge.refunded']);
    expect(delivered[1]).toMatchObject({ paymentIntentId, orderId, amount: 39_000, amountRefunded: 39_000 });
    expect((await gateway.retrieveCheckout(session.id)).amountRefunded).toBe(39_000);
  });

  it('refuses to refund a payment that was never made', async () => {
    const { gateway } = setup();
    const { session, orderId } = await checkout(gateway);
    await gateway.decline(session.id);
    const { paymentIntentId } = await gateway.retrieveCheckout(session.id);
    await expect(gateway.refund(paymentIntentId!, { idempotencyKey: 'k-declined', orderId })).rejects.toMatchObject({
      code: 'not_paid',
    });
    await expect(gateway.refund('pi_test_nothing', { idempotencyKey: 'k-none', orderId })).rejects.toBeInstanceOf(
      TestCheckoutError,
    );
  });

  it('pays once when Pay is pressed twice at the same time', async () => {
    const { gateway, events } = setup();
    const { session } = await checkout(gateway);
    const results = await Promise.allSettled([gateway.pay(session.id), gateway.pay(session.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.status === 'rejected' && rejected.reason).toMatchObject({ code: 'complete' });
    expect((await events()).filter((e) => e.kind === 'checkout.completed')).toHaveLength(1);
    await expect(gateway.decline(session.id)).rejects.toMatchObject({ code: 'complete' });
  });

  it('cannot pay a session past its expiry, which reads as expired', async () => {
    const { gateway, deliveries } = setup();
    const { session } = await checkout(gateway, { expiresAt: new Date(Date.now() - 1000) });
    expect((await gateway.retrieveCheckout(session.id)).status).toBe('expired');
    expect((await gateway.describe(session.id))?.status).toBe('expired');
    await expect(gateway.pay(session.id)).rejects.toMatchObject({ code: 'expired' });
    await gateway.whenIdle();
    expect(deliveries).toHaveLength(0);
  });

  it('expires an open session with checkout.session.expired, after which it cannot be paid', async () => {
    const { gateway, events } = setup();
    const { session, orderId } = await checkout(gateway);
    await gateway.expireCheckout(session.id);
    await gateway.expireCheckout(session.id);
    await expect(gateway.pay(session.id)).rejects.toMatchObject({ code: 'expired' });
    const delivered = await events();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ kind: 'checkout.expired', sessionId: session.id, orderId });
  });

  it('leaves a paid session alone when asked to expire it', async () => {
    const { gateway, events } = setup();
    const { session } = await checkout(gateway);
    await gateway.pay(session.id);
    await gateway.expireCheckout(session.id);
    expect((await gateway.retrieveCheckout(session.id)).status).toBe('complete');
    expect((await events()).map((e) => e.kind)).toEqual(['checkout.completed']);
  });

  it('answers not_found for an unknown session', async () => {
    const { gateway } = setup();
    expect(await gateway.describe('cs_test_missing')).toBeUndefined();
    await expect(gateway.pay('cs_test_missing')).rejects.toMatchObject({ code: 'not_found' });
    await expect(gateway.retrieveCheckout('cs_test_missing')).rejects.toMatchObject({ code: 'not_found' });
    await expect(gateway.expireCheckout('cs_test_missing')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('retries a failed delivery with the same event id and a fresh signature', async () => {
    const { gateway, deliveries, events } = setup({ failures: 2 });
    const { session } = await checkout(gateway);
    await gateway.pay(session.id);
    const delivered = await events();
    expect(deliveries).toHaveLength(1);
    expect(delivered[0]?.kind).toBe('checkout.completed');
  });

  it('gives up after the last retry without throwing', async () => {
    const { gateway, deliveries } = setup({ failures: 10 });
    const { session } = await checkout(gateway);
    await gateway.pay(session.id);
    await gateway.whenIdle();
    expect(deliveries).toHaveLength(0);
  });

  it('close() waits for a delivery in flight', async () => {
    let release!: () => void;
    const delivered: string[] = [];
    const gateway = new TestGateway({
      db: database.primary,
      publicUrl: PUBLIC_URL,
      webhookSecret: SECRET,
      deliver: async (delivery) => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        delivered.push(delivery.eventType);
      },
    });
    const { session } = await checkout(gateway);
    await gateway.pay(session.id);
    const closed = gateway.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(delivered).toEqual([]);
    release();
    await closed;
    expect(delivered).toEqual(['checkout.session.completed']);
  });

  it('POSTs signed JSON to the webhook endpoint over HTTP, retrying after a 5xx', async () => {
    const received: { status: number; path: string; signature: string; type: string; body: string }[] = [];
    const endpoint = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const status = received.length === 0 ? 503 : 200;
        received.push({
          status,
          path: req.url ?? '',
          signature: String(req.headers['stripe-signature']),
          type: String(req.headers['content-type']),
          body,
        });
        res.writeHead(status, { 'content-type': 'application/json' }).end('{"received":true}');
      });
    });
    endpoint.listen(0, '127.0.0.1');
    await once(endpoint, 'listening');
    try {
      const { port } = endpoint.address() as AddressInfo;
      const gateway = new TestGateway({
        db: database.primary,
        publicUrl: 'http://lectio.invalid',
        webhookBaseUrl: `http://127.0.0.1:${port}`,
        webhookSecret: SECRET,
        retryDelaysMs: [10],
      });
      gateways.push(gateway);
      const { session, orderId } = await checkout(gateway);
      await gateway.pay(session.id);
      await gateway.whenIdle();
      expect(received.map((r) => r.status)).toEqual([503, 200]);
      const last = received[1]!;
      expect(last.path).toBe('/api/v1/payments/webhooks/stripe');
      expect(last.type).toMatch(/^application\/json/);
      expect(received[0]!.body).toBe(last.body);
      expect(gateway.verifyWebhook(Buffer.from(last.body), last.signature)).toMatchObject({
        kind: 'checkout.completed',
        orderId,
      });
    } finally {
      endpoint.close();
    }
  });

  describe('verifyWebhook', () => {
    async function signedPayment() {
      const { gateway, deliveries } = setup();
      const { session } = await checkout(gateway);
      await gateway.pay(session.id);
      await gateway.whenIdle();
      return { gateway, payload: deliveries[0]!.payload };
    }
    const sign = (payload: string, options: { secret?: string; ageSeconds?: number } = {}) =>
      Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: options.secret ?? SECRET,
        timestamp: Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0),
      });

    it('rejects a tampered body', async () => {
      const { gateway, payload } = await signedPayment();
      const tampered = payload.replace('"amount_total":39000', '"amount_total":1');
      expect(tampered).not.toBe(payload);
      expect(() => gateway.verifyWebhook(Buffer.from(tampered), sign(payload))).toThrow(WebhookSignatureError);
    });

    it('rejects a signature made with another secret', async () => {
      const { gateway, payload } = await signedPayment();
      const header = sign(payload, { secret: deriveTestWebhookSecret('someone else entirely, 32+ characters') });
      expect(() => gateway.verifyWebhook(Buffer.from(payload), header)).toThrow(WebhookSignatureError);
    });

    it('rejects a missing header and a body that is not JSON', async () => {
      const { gateway, payload } = await signedPayment();
      expect(() => gateway.verifyWebhook(Buffer.from(payload), undefined)).toThrow(WebhookSignatureError);
      expect(() => gateway.verifyWebhook(Buffer.from('{not json'), sign('{not json'))).toThrow(WebhookSignatureError);
    });

    it('rejects a signature 6 minutes old and accepts one 4 minutes old', async () => {
      const { gateway, payload } = await signedPayment();
      expect(() => gateway.verifyWebhook(Buffer.from(payload), sign(payload, { ageSeconds: 360 }))).toThrow(
        WebhookSignatureError,
      );
      expect(gateway.verifyWebhook(Buffer.from(payload), sign(payload, { ageSeconds: 240 })).kind).toBe(
        'checkout.completed',
      );
    });
  });
});
