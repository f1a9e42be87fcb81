import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { buildApp } from '../../http/app.js';
import { MemoryCache } from '../cache/memory.js';
import { migrate } from '../db/migrate.js';
import { openMemoryPglite } from '../db/pglite.js';
import type { DatabasePort } from '../db/port.js';
import { createLogger } from '../telemetry/logger.js';
import { deriveTestWebhookSecret, TestGateway, type WebhookDelivery } from './test-gateway.js';
import { testGatewayRoutes } from './test-gateway-http.js';

const PUBLIC_URL = 'http://127.0.0.1:4556';
const SECRET = deriveTestWebhookSecret('an app secret of at least thirty-two characters');
const FORM = {
  'content-type': 'application/x-www-form-urlencoded',
  origin: PUBLIC_URL,
  'sec-fetch-site': 'same-origin',
};

let database: DatabasePort;
let cache: MemoryCache;
let gateway: TestGateway;
let app: FastifyInstance;
const deliveries: WebhookDelivery[] = [];

beforeAll(async () => {
  database = await openMemoryPglite();
  await migrate(database.primary);
  gateway = new TestGateway({
    db: database.primary,
    publicUrl: PUBLIC_URL,
    webhookSecret: SECRET,
    deliver: async (delivery) => {
      deliveries.push(delivery);
    },
  });
  cache = new MemoryCache();
  // The real app shell: its CSP, rate limit and not-found handling are what the page lives with.
  app = await buildApp({
    config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PUBLIC_URL }),
    logger: createLogger({ level: 'silent', name: 'test' }),
    cache,
    authenticator: {
      authenticate: async () => {
        throw new Error('no sign-in in these tests');
      },
    },
    routes: [testGatewayRoutes(gateway)],
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await gateway?.close();
  await cache?.close();
  await database?.close();
});

async function newCheckout(options: { amount?: number; currency?: 'KRW' | 'USD'; expiresAt?: Date } = {}) {
  const orderId = randomUUID();
  const session = await gateway.createCheckout({
    orderId,
    amount: options.amount ?? 39_000,
    currency: options.currency ?? 'KRW',
    description: 'TypeScript <입문>',
    customerEmail: 'student@example.com',
    successUrl: `${PUBLIC_URL}/checkout/success?order=${orderId}`,
    cancelUrl: `${PUBLIC_URL}/checkout/cancel?order=${orderId}`,
    expiresAt: options.expiresAt ?? new Date(Date.now() + 60 * 60_000),
  });
  return { orderId, session, path: new URL(session.url).pathname };
}

const deliveredFor = (sessionId: string) =>
  deliveries.filter((d) => d.payload.includes(`"id":"${sessionId}"`)).map((d) => d.eventType);

describe('test gateway checkout page', () => {
  it('renders in Korean with the won amount, a notice and both buttons as forms', async () => {
    const { session, path, orderId } = await newCheckout();
    const res = await app.inject({
      method: 'GET',
      url: path,
      headers: { 'accept-language': 'ko-KR,ko;q=0.9,en;q=0.8' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<html lang="ko">');
    expect(res.body).toContain('Lectio 테스트 결제');
    expect(res.body).toContain('₩39,000');
    expect(res.body).toContain('실제 돈은 오가지 않습니다');
    // The course title is escaped, not markup.
    expect(res.body).toContain('TypeScript &lt;입문&gt;');
    expect(res.body).toContain(`<form method="post" action="/test-gateway/checkout/${session.id}/pay">`);
    expect(res.body).toContain(`<form method="post" action="/test-gateway/checkout/${session.id}/decline">`);
    expect(res.body).toContain(`href="${PUBLIC_URL}/checkout/cancel?order=${orderId}"`);
    expect(res.body).not.toMatch(/<script|style=/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("form-action 'self' http://127.0.0.1:4556");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('renders in English with a dollar amount for an English browser', async () => {
    const { path } = await newCheckout({ amount: 1250, currency: 'USD' });
    const res = await app.inject({ method: 'GET', url: path, headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(res.body).toContain('<html lang="en">');
    expect(res.body).toContain('Lectio test payment');
    expect(res.body).toContain('$12.50');
    expect(res.body).toContain('no real money moves');
  });

  it('serves its stylesheet from its own origin', async () => {
    const res = await app.inject({ method: 'GET', url: '/test-gateway/style.css' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/css/);
  });

  it('Pay sends the student to the success URL and delivers once; a second Pay changes nothing', async () => {
    const { session, path, orderId } = await newCheckout();
    const first = await app.inject({ method: 'POST', url: `${path}/pay`, headers: FORM, payload: '' });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe(`${PUBLIC_URL}/checkout/success?order=${orderId}&session_id=${session.id}`);
    await gateway.whenIdle();
    expect(deliveredFor(session.id)).toEqual(['checkout.session.completed']);

    const second = await app.inject({ method: 'POST', url: `${path}/pay`, headers: FORM, payload: '' });
    expect(second.statusCode).toBe(409);
    expect(second.body).toContain('This payment is already complete.');
    expect(second.body).not.toContain('<form');
    await gateway.whenIdle();
    expect(deliveredFor(session.id)).toEqual(['checkout.session.completed']);

    const page = await app.inject({ method: 'GET', url: path, headers: { 'accept-language': 'ko' } });
    expect(page.body).toContain('이미 결제가 완료되었습니다.');
    expect(page.body).toContain(`href="${PUBLIC_URL}/checkout/success?order=${orderId}&amp;session_id=${session.id}"`);
  });

  it('Decline sends the student to the cancel URL and announces the failed payment', async () => {
    const { session, path, orderId } = await newCheckout();
    const res = await app.inject({ method: 'POST', url: `${path}/decline`, headers: FORM, payload: '' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${PUBLIC_URL}/checkout/cancel?order=${orderId}`);
    await gateway.whenIdle();
    expect(deliveredFor(session.id)).toEqual(['checkout.session.completed', 'checkout.session.async_payment_failed']);
  });

  it('an expired checkout shows a message instead of the buttons and cannot be paid', async () => {
    const { session, path } = await newCheckout({ expiresAt: new Date(Date.now() - 1000) });
    const page = await app.inject({ method: 'GET', url: path, headers: { 'accept-language': 'en' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This checkout has expired.');
    expect(page.body).not.toContain('<form');
    const pay = await app.inject({ method: 'POST', url: `${path}/pay`, headers: FORM, payload: '' });
    expect(pay.statusCode).toBe(409);
    await gateway.whenIdle();
    expect(deliveredFor(session.id)).toEqual([]);
  });

  it('answers an unknown session with a 404 page', async () => {
    const res = await app.inject({ method: 'GET', url: '/test-gateway/checkout/cs_test_nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('Checkout not found');
    const pay = await app.inject({ method: 'POST', url: '/test-gateway/checkout/cs_test_nope/pay', headers: FORM });
    expect(pay.statusCode).toBe(404);
  });

  it('refuses a Pay posted from another site', async () => {
    const { session, path } = await newCheckout();
    const res = await app.inject({
      method: 'POST',
      url: `${path}/pay`,
      headers: { ...FORM, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      payload: '',
    });
    expect(res.statusCode).toBe(403);
    expect((await gateway.retrieveCheckout(session.id)).status).toBe('open');
  });

  it('stays out of the OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(Object.keys(res.json().paths ?? {}).filter((p) => p.startsWith('/test-gateway'))).toEqual([]);
  });
});
