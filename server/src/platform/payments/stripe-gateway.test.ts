import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebhookSignatureError } from './port.js';
import { StripeGateway } from './stripe-gateway.js';

/**
 * A local stand-in for api.stripe.com: it records what Stripe's client sends and answers
 * Stripe-shaped JSON, so the adapter is checked against the wire format without the network.
 */

interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
  headers: IncomingMessage['headers'];
}

type Reply = { status?: number; body: unknown; headers?: Record<string, string> };
type Handler = (request: RecordedRequest) => Reply;

const WEBHOOK_SECRET = 'whsec_stripe_gateway_test_secret';
const ORDER_ID = '0b5c3c1e-7d0a-4d6e-9f57-6a2b1c0d9e8f';
const EXPIRES_AT = new Date('2031-05-04T03:02:01Z');

let server: Server;
let gateway: StripeGateway;
const requests: RecordedRequest[] = [];
const handlers = new Map<string, Handler>();

function on(method: string, path: string, handler: Handler) {
  handlers.set(`${method} ${path}`, handler);
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const recorded: RecordedRequest = {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    form: new URLSearchParams(Buffer.concat(chunks).toString()),
    headers: req.headers,
  };
  requests.push(recorded);
  const handler = handlers.get(`${recorded.method} ${recorded.path}`);
  const reply: Reply = handler
    ? handler(recorded)
    : { status: 404, body: { error: { type: 'invalid_request_error', message: `No stand-in for ${recorded.path}` } } };
  res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
  res.end(JSON.stringify(reply.body));
}

const session = (overrides: Record<string, unknown>) => ({
  id: 'cs_test_a1',
  object: 'checkout.session',
  url: 'https://checkout.stripe.com/c/pay/cs_test_a1',
  status: 'open',
  payment_status: 'unpaid',
  payment_intent: null,
  expires_at: Math.floor(EXPIRES_AT.getTime() / 1000),
  metadata: { order_id: ORDER_ID },
  client_reference_id: ORDER_ID,
  ...overrides,
});

const invalidRequest = (code: string, message: string): Reply => ({
  status: 400,
  body: { error: { type: 'invalid_request_error', code, message } },
});

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  gateway = new StripeGateway({
    secretKey: 'sk_test_standin',
    webhookSecret: WEBHOOK_SECRET,
    apiBase: `http://127.0.0.1:${port}`,
    timeoutMs: 5_000,
  });
});

afterAll(async () => {
  await gateway.close();
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  requests.length = 0;
  handlers.clear();
});

describe('StripeGateway', () => {
  it('creates a Checkout Session with the line item, order metadata, URLs, expiry and an idempotency key', async () => {
    on('POST', '/v1/checkout/sessions', () => ({ body: session({}) }));
    const created = await gateway.createCheckout({
      orderId: ORDER_ID,
      amount: 39_000,
      currency: 'KRW',
      description: 'TypeScript 입문',
      customerEmail: 'student@example.com',
      successUrl: `https://lectio.example/checkout/success?order=${ORDER_ID}`,
      cancelUrl: `https://lectio.example/checkout/cancel?order=${ORDER_ID}`,
      expiresAt: EXPIRES_AT,
    });
    expect(created).toEqual({
      id: 'cs_test_a1',
      url: 'https://checkout.stripe.com/c/pay/cs_test_a1',
      expiresAt: EXPIRES_AT,
    });

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.headers.authorization).toBe('Bearer sk_test_standin');
    expect(request!.headers['idempotency-key']).toBe(`checkout:${ORDER_ID}`);
    expect(Object.fromEntries(request!.form)).toEqual({
      mode: 'payment',
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'krw',
      // Won are whole: 39,000 won is 39000, not 3900000.
      'line_items[0][price_data][unit_amount]': '39000',
      'line_items[0][price_data][product_data][name]': 'TypeScript 입문',
      success_url: `https://lectio.example/checkout/success?order=${ORDER_ID}&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `https://lectio.example/checkout/cancel?order=${ORDER_ID}`,
      client_reference_id: ORDER_ID,
      'metadata[order_id]': ORDER_ID,
      'payment_intent_data[metadata][order_id]': ORDER_ID,
      customer_email: 'student@example.com',
      expires_at: String(Math.floor(EXPIRES_AT.getTime() / 1000)),
    });
  });

  it('sends USD in cents and leaves out a missing email', async () => {
    on('POST', '/v1/checkout/sessions', () => ({ body: session({}) }));
    await gateway.createCheckout({
      orderId: ORDER_ID,
      amount: 1250,
      currency: 'USD',
      description: 'Rust',
      customerEmail: undefined,
      successUrl: 'https://lectio.example/checkout/success',
      cancelUrl: 'https://lectio.example/checkout/cancel',
      expiresAt: EXPIRES_AT,
    });
    const form = requests[0]!.form;
    expect(form.get('line_items[0][price_data][currency]')).toBe('usd');
    expect(form.get('line_items[0][price_data][unit_amount]')).toBe('1250');
    expect(form.has('customer_email')).toBe(false);
    expect(form.get('success_url')).toBe('https://lectio.example/checkout/success?session_id={CHECKOUT_SESSION_ID}');
  });

  it('retrieves a paid session with its payment intent and the amount refunded on its charge', async () => {
    on('GET', '/v1/checkout/sessions/cs_test_a1', () => ({
      body: session({
        status: 'complete',
        payment_status: 'paid',
        payment_intent: {
          id: 'pi_123',
          object: 'payment_intent',
          latest_charge: { id: 'ch_123', object: 'charge', amount: 39_000, amount_refunded: 39_000 },
        },
      }),
    }));
    expect(await gateway.retrieveCheckout('cs_test_a1')).toEqual({
      id: 'cs_test_a1',
      status: 'complete',
      paymentStatus: 'paid',
      paymentIntentId: 'pi_123',
      amountRefunded: 39_000,
      orderId: ORDER_ID,
    });
    expect(requests[0]!.query.getAll('expand[0]')).toEqual(['payment_intent.latest_charge']);
  });

  it('retrieves an open session that has no payment yet', async () => {
    on('GET', '/v1/checkout/sessions/cs_test_a1', () => ({ body: session({}) }));
    expect(await gateway.retrieveCheckout('cs_test_a1')).toMatchObject({
      status: 'open',
      paymentStatus: 'unpaid',
      paymentIntentId: undefined,
      amountRefunded: 0,
    });
  });

  it('expires an open session', async () => {
    on('POST', '/v1/checkout/sessions/cs_test_a1/expire', () => ({ body: session({ status: 'expired' }) }));
    await gateway.expireCheckout('cs_test_a1');
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/checkout/sessions/cs_test_a1/expire']);
  });

  it('leaves a session that completed meanwhile alone, but reports a failure on one still open', async () => {
    let status = 'complete';
    on('POST', '/v1/checkout/sessions/cs_test_a1/expire', () =>
      invalidRequest('checkout_session_not_open', 'Only Checkout Sessions with a status in ["open"] can be expired.'),
    );
    on('GET', '/v1/checkout/sessions/cs_test_a1', () => ({ body: session({ status }) }));
    await expect(gateway.expireCheckout('cs_test_a1')).resolves.toBeUndefined();
    status = 'open';
    await expect(gateway.expireCheckout('cs_test_a1')).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it('refunds the payment in full with the idempotency key and the order in the metadata', async () => {
    on('POST', '/v1/refunds', (r) => ({
      body: {
        id: 're_1',
        object: 'refund',
        status: 'succeeded',
        amount: 39_000,
        payment_intent: r.form.get('payment_intent'),
      },
    }));
    const result = await gateway.refund('pi_123', { idempotencyKey: `refund:${ORDER_ID}`, orderId: ORDER_ID });
    expect(result).toEqual({ id: 're_1', status: 'succeeded', amount: 39_000 });
    const [request] = requests;
    expect(request!.headers['idempotency-key']).toBe(`refund:${ORDER_ID}`);
    expect(Object.fromEntries(request!.form)).toEqual({ payment_intent: 'pi_123', 'metadata[order_id]': ORDER_ID });
  });

  it('reports a refund Stripe has not finished as pending', async () => {
    on('POST', '/v1/refunds', () => ({ body: { id: 're_2', object: 'refund', status: 'pending', amount: 39_000 } }));
    expect((await gateway.refund('pi_123', { idempotencyKey: 'refund:x', orderId: ORDER_ID })).status).toBe('pending');
  });

  it('answers with the earlier refund when the payment was already refunded under another key', async () => {
    on('POST', '/v1/refunds', () =>
      invalidRequest('charge_already_refunded', 'Charge ch_123 has already been refunded.'),
    );
    on('GET', '/v1/refunds', () => ({
      body: {
        object: 'list',
        has_more: false,
        url: '/v1/refunds',
        data: [{ id: 're_0', object: 'refund', status: 'succeeded', amount: 39_000 }],
      },
    }));
    const result = await gateway.refund('pi_123', { idempotencyKey: 'refund:again', orderId: ORDER_ID });
    expect(result).toEqual({ id: 're_0', status: 'succeeded', amount: 39_000 });
    expect(requests[1]!.query.get('payment_intent')).toBe('pi_123');
  });

  it('retries a 5xx with the same idempotency key', async () => {
    let calls = 0;
    on('POST', '/v1/refunds', () =>
      ++calls === 1
        ? { status: 503, body: { error: { type: 'api_error', message: 'try again' } } }
        : { body: { id: 're_3', object: 'refund', status: 'succeeded', amount: 39_000 } },
    );
    const result = await gateway.refund('pi_123', { idempotencyKey: 'refund:retry', orderId: ORDER_ID });
    expect(result.id).toBe('re_3');
    expect(requests.map((r) => r.headers['idempotency-key'])).toEqual(['refund:retry', 'refund:retry']);
  });

  it('verifies webhooks with the configured endpoint secret', () => {
    const payload = JSON.stringify({
      id: 'evt_1',
      object: 'event',
      type: 'charge.refunded',
      created: 1_700_000_000,
      data: {
        object: {
          id: 'ch_1',
          object: 'charge',
          payment_intent: 'pi_123',
          amount: 39_000,
          amount_refunded: 39_000,
          metadata: { order_id: ORDER_ID },
        },
      },
    });
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    expect(gateway.verifyWebhook(Buffer.from(payload), header)).toEqual({
      id: 'evt_1',
      type: 'charge.refunded',
      createdAt: new Date(1_700_000_000_000),
      kind: 'charge.refunded',
      paymentIntentId: 'pi_123',
      orderId: ORDER_ID,
      amount: 39_000,
      amountRefunded: 39_000,
    });
    const forged = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_someone_else' });
    expect(() => gateway.verifyWebhook(Buffer.from(payload), forged)).toThrow(WebhookSignatureError);
  });
});
