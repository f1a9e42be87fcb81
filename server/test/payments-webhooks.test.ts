import { randomBytes } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courses } from '../src/modules/catalog/schema.js';
import { enrollments } from '../src/modules/enrollments/schema.js';
import { orders, paymentEvents } from '../src/modules/payments/schema.js';
import type { OrderStatus } from '../src/modules/payments/state-machine.js';
import { deriveTestWebhookSecret } from '../src/platform/payments/test-gateway.js';
import { insertCourse, signedInUser } from './support/course-fixtures.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, type TestServer } from './support/servers.js';

const APP_SECRET = randomBytes(32).toString('hex');
const WEBHOOK_SECRET = deriveTestWebhookSecret(APP_SECRET);
const ORDERS = 100;
const DELIVERIES = 500;
const FORGED = 50;
const CONCURRENCY = 25;
const PRICE = 39_000;

type Scenario = 'paid' | 'async_paid' | 'async_failed' | 'expired' | 'paid_then_refunded' | 'refunded_before_paid';
const SCENARIOS: Scenario[] = [
  'paid',
  'async_paid',
  'async_failed',
  'expired',
  'paid_then_refunded',
  'refunded_before_paid',
];
const FINAL: Record<Scenario, OrderStatus> = {
  paid: 'paid',
  async_paid: 'paid',
  async_failed: 'failed',
  expired: 'expired',
  paid_then_refunded: 'refunded',
  refunded_before_paid: 'refunded',
};

interface Planned {
  orderId: string;
  courseId: string;
  sessionId: string;
  paymentIntentId: string;
  scenario: Scenario;
}

interface Delivery {
  eventId: string;
  payload: string;
  /** Undefined: sent without the header. */
  signature: string | undefined;
  forged: boolean;
  /** Delivered before everything else (a refund seen before its payment). */
  early?: boolean;
  orderId?: string;
}

// A seeded generator, so a failing run can be replayed from the seed it prints.
const SEED = Number(process.env.WEBHOOK_REPLAY_SEED ?? Date.now() % 1_000_000);
function generator(seed: number) {
  let state = seed || 1;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** A Stripe event object, as Stripe (and the test gateway) send it. */
function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_${randomBytes(12).toString('hex')}`) {
  return {
    id,
    object: 'event',
    api_version: '2025-08-27.basil',
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

function sessionObject(o: Planned, paymentStatus: 'paid' | 'unpaid', status: 'complete' | 'expired' = 'complete') {
  return {
    id: o.sessionId,
    object: 'checkout.session',
    status,
    payment_status: paymentStatus,
    payment_intent: status === 'expired' ? null : o.paymentIntentId,
    amount_total: PRICE,
    currency: 'krw',
    metadata: { order_id: o.orderId },
  };
}

function chargeObject(o: Planned) {
  return {
    id: `ch_${randomBytes(8).toString('hex')}`,
    object: 'charge',
    amount: PRICE,
    amount_refunded: PRICE,
    refunded: true,
    currency: 'krw',
    payment_intent: o.paymentIntentId,
    metadata: { order_id: o.orderId },
  };
}

/** The genuine events of one order's story; `early` ones are delivered first. */
function storyOf(o: Planned): { event: ReturnType<typeof stripeEvent>; early?: boolean }[] {
  const completed = (paymentStatus: 'paid' | 'unpaid') =>
    stripeEvent('checkout.session.completed', sessionObject(o, paymentStatus));
  switch (o.scenario) {
    case 'paid':
      // Plus a stale expiry arriving late: a payment outranks it.
      return [
        { event: completed('paid') },
        { event: stripeEvent('checkout.session.expired', sessionObject(o, 'unpaid', 'expired')) },
      ];
    case 'async_paid':
      return [
        { event: completed('unpaid') },
        { event: stripeEvent('checkout.session.async_payment_succeeded', sessionObject(o, 'paid')) },
      ];
    case 'async_failed':
      return [
        { event: completed('unpaid') },
        { event: stripeEvent('checkout.session.async_payment_failed', sessionObject(o, 'unpaid')) },
      ];
    case 'expired':
      return [{ event: stripeEvent('checkout.session.expired', sessionObject(o, 'unpaid', 'expired')) }];
    case 'paid_then_refunded':
      return [{ event: completed('paid'), early: true }, { event: stripeEvent('charge.refunded', chargeObject(o)) }];
    case 'refunded_before_paid':
      return [{ event: stripeEvent('charge.refunded', chargeObject(o)), early: true }, { event: completed('paid') }];
  }
}

const sign = (payload: string, secret = WEBHOOK_SECRET, timestamp?: number) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

/** Ten percent of the deliveries: each way a signature can fail, many of them claiming a payment. */
function forgeries(planned: Planned[], random: () => number, genuine: Delivery[]): Delivery[] {
  const expiring = planned.filter((o) => o.scenario === 'expired' || o.scenario === 'async_failed');
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const forged: Delivery[] = [];
  for (let i = 0; i < FORGED; i += 1) {
    // A "paid" claim for an order that must never be paid, or a replay of a genuine delivery.
    const target = pick(expiring);
    const claim = stripeEvent('checkout.session.completed', sessionObject(target, 'paid'));
    const payload = JSON.stringify(claim);
    switch (i % 5) {
      case 0: {
        // A genuine delivery's bytes altered after signing (an amount, an order id swapped in).
        const original = pick(genuine);
        const tampered = original.payload
          .replace(/"amount_total":\d+/, '"amount_total":1')
          .replace(/"id":"evt_/, '"id":"evt_x');
        const bytes = tampered === original.payload ? `${original.payload} ` : tampered;
        forged.push({ eventId: `forged-${i}`, payload: bytes, signature: original.signature, forged: true });
        break;
      }
      case 1:
        forged.push({ eventId: claim.id, payload, signature: sign(payload, 'whsec_not_the_secret'), forged: true });
        break;
      case 2:
        // Signed with the right secret, six minutes ago: past Stripe's five-minute tolerance.
        forged.push({
          eventId: claim.id,
          payload,
          signature: sign(payload, WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 360),
          forged: true,
        });
        break;
      case 3:
        forged.push({ eventId: claim.id, payload, signature: undefined, forged: true });
        break;
      default: {
        // The right secret over other bytes: the signature of one body sent with another.
        const other = JSON.stringify(
          stripeEvent('checkout.session.expired', sessionObject(target, 'unpaid', 'expired')),
        );
        forged.push({ eventId: claim.id, payload, signature: sign(other), forged: true });
      }
    }
  }
  return forged;
}

describe.each(serverBackends())('webhook replay: 500 deliveries for 100 orders [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  const db = () => server.database.primary;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({ ...s.env, SEED_DEMO_DATA: 'false', PAYMENTS_BACKEND: 'test', APP_SECRET });
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('settles every order right, enrolls each paid one exactly once, refuses every forgery', async () => {
    const random = generator(SEED);
    const instructor = await signedInUser(server, 'instructor');
    const student = await signedInUser(server, 'student');
    const actor = { userId: student.id, role: 'student' as const };

    // 100 orders through the order service and the test gateway: real sessions, real order rows.
    const planned: Planned[] = [];
    for (let i = 0; i < ORDERS; i += 1) {
      const course = await insertCourse(db(), { instructorId: instructor.id, price: PRICE });
      const { order } = await server.services.orders.create(actor, { courseId: course.id });
      const [row] = await db().select().from(orders).where(eq(orders.id, order.id));
      expect(row!.checkoutSessionId).toMatch(/^cs_test_/);
      planned.push({
        orderId: order.id,
        courseId: course.id,
        sessionId: row!.checkoutSessionId!,
        paymentIntentId: `pi_test_${randomBytes(8).toString('hex')}`,
        scenario: SCENARIOS[i % SCENARIOS.length]!,
      });
    }

    const distinct: Delivery[] = planned.flatMap((o) =>
      storyOf(o).map(({ event, early }) => {
        const payload = JSON.stringify(event);
        return { eventId: event.id, payload, signature: sign(payload), forged: false, early, orderId: o.orderId };
      }),
    );
    // Redeliveries: the same bytes again, each with a fresh signature, as Stripe retries do.
    const genuine = [...distinct];
    while (genuine.length < DELIVERIES - FORGED) {
      const again = distinct[Math.floor(random() * distinct.length)]!;
      genuine.push({ ...again, signature: sign(again.payload), early: false });
    }
    const all = [...genuine, ...forgeries(planned, random, distinct)];
    expect(all).toHaveLength(DELIVERIES);
    for (let i = all.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }

    const results = new Map<Delivery, { status: number; body: { duplicate?: boolean; error?: { code: string } } }>();
    const post = async (d: Delivery) => {
      const res = await fetch(`${server.url}/api/v1/payments/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          ...(d.signature ? { 'stripe-signature': d.signature } : {}),
        },
        body: d.payload,
      });
      results.set(d, { status: res.status, body: (await res.json()) as never });
    };
    const runConcurrently = async (list: Delivery[]) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < list.length) await post(list[next++]!);
        }),
      );
    };
    // The first leg of the two refund stories goes first (a payment then its refund; a refund
    // seen before its payment), then everything else, duplicates of those included, 25 at a time.
    await runConcurrently(all.filter((d) => d.early));
    await runConcurrently(all.filter((d) => !d.early));

    const context = `seed ${SEED}`;
    for (const d of all) {
      const r = results.get(d)!;
      if (d.forged) {
        expect(r.status, `${context}: a forgery`).toBe(400);
        expect(r.body.error?.code).toBe('webhook_signature_invalid');
      } else {
        expect(r.status, `${context}: a genuine delivery ${d.eventId}`).toBe(200);
      }
    }
    // Every genuine delivery past the first of its event was recognised as a duplicate.
    const duplicates = genuine.filter((d) => results.get(d)!.body.duplicate).length;
    expect(duplicates, context).toBe(genuine.length - distinct.length);

    const rows = await db()
      .select()
      .from(orders)
      .where(
        inArray(
          orders.id,
          planned.map((o) => o.orderId),
        ),
      );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const studentEnrollments = await db().select().from(enrollments).where(eq(enrollments.userId, student.id));
    const enrollmentOf = new Map(studentEnrollments.map((e) => [e.courseId, e]));
    for (const o of planned) {
      const order = byId.get(o.orderId)!;
      expect(order.status, `${context}: order ${o.orderId} (${o.scenario})`).toBe(FINAL[o.scenario]);
      const enrollment = enrollmentOf.get(o.courseId);
      if (FINAL[o.scenario] === 'paid') {
        expect(enrollment, `${context}: ${o.scenario}`).toMatchObject({
          status: 'active',
          source: 'order',
          orderId: o.orderId,
        });
        expect(order.paymentIntentId).toBe(o.paymentIntentId);
      } else if (o.scenario === 'paid_then_refunded') {
        expect(enrollment, context).toMatchObject({ status: 'revoked', orderId: o.orderId });
        expect(order.refundedAmount).toBe(PRICE);
      } else {
        // Failed, expired (forged "paid" claims included) and refunded before payment: never enrolled.
        expect(enrollment, `${context}: ${o.scenario}`).toBeUndefined();
      }
    }
    // One enrollment row per course at most (the unique index), and the counts agree with them.
    expect(studentEnrollments.length).toBe(
      planned.filter((o) => o.scenario === 'paid' || o.scenario === 'async_paid' || o.scenario === 'paid_then_refunded')
        .length,
    );
    const counts = await db()
      .select({ id: courses.id, n: courses.enrollmentCount })
      .from(courses)
      .where(
        inArray(
          courses.id,
          planned.map((o) => o.courseId),
        ),
      );
    for (const c of counts) {
      expect(c.n, context).toBe(enrollmentOf.get(c.id)?.status === 'active' ? 1 : 0);
    }

    // Each genuine event stored once, with its order; no forged one at all.
    const stored = await db()
      .select({ id: paymentEvents.id, orderId: paymentEvents.orderId })
      .from(paymentEvents)
      .where(
        inArray(
          paymentEvents.id,
          all.map((d) => d.eventId),
        ),
      );
    expect(stored.map((e) => e.id).sort()).toEqual(distinct.map((d) => d.eventId).sort());
    const orderOfEvent = new Map(stored.map((e) => [e.id, e.orderId]));
    for (const d of distinct) expect(orderOfEvent.get(d.eventId), context).toBe(d.orderId);

    // The coupon-free orders that ended without payment left nothing open for the student.
    const open = await db()
      .select({ id: orders.id })
      .from(orders)
      .where(and(eq(orders.userId, student.id), eq(orders.status, 'pending')));
    expect(open).toEqual([]);
    // 100 orders, 500 concurrent deliveries and the checks: ~15 s alone, more on a busy CI machine.
  }, 180_000);

  it('acknowledges events it cannot act on, records them once, and keeps access after a partial refund', async () => {
    const post = async (event: ReturnType<typeof stripeEvent>) => {
      const payload = JSON.stringify(event);
      const res = await fetch(`${server.url}/api/v1/payments/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': sign(payload) },
        body: payload,
      });
      return { status: res.status, body: (await res.json()) as { duplicate: boolean } };
    };
    const outcomeOf = async (id: string) =>
      (await db().select().from(paymentEvents).where(eq(paymentEvents.id, id)))[0]?.outcome;

    // An order this site never made (another site sharing the Stripe account, say).
    const stranger: Planned = {
      orderId: '00000000-0000-4000-8000-0000000000ff',
      courseId: '',
      sessionId: 'cs_test_elsewhere',
      paymentIntentId: 'pi_test_elsewhere',
      scenario: 'paid',
    };
    const unknown = stripeEvent('checkout.session.completed', sessionObject(stranger, 'paid'));
    expect(await post(unknown)).toEqual({ status: 200, body: { received: true, duplicate: false } });
    expect(await post(unknown)).toEqual({ status: 200, body: { received: true, duplicate: true } });
    expect(await outcomeOf(unknown.id)).toBe('unknown_order');
    const ignored = stripeEvent('customer.created', { id: 'cus_1', object: 'customer' });
    expect((await post(ignored)).status).toBe(200);
    expect(await outcomeOf(ignored.id)).toBe('ignored');

    // A paid order, then a partial refund: the amount is recorded, the student keeps the course.
    const instructor = await signedInUser(server, 'instructor');
    const student = await signedInUser(server, 'student');
    const course = await insertCourse(db(), { instructorId: instructor.id, price: PRICE });
    const { order } = await server.services.orders.create(
      { userId: student.id, role: 'student' },
      { courseId: course.id },
    );
    const [row] = await db().select().from(orders).where(eq(orders.id, order.id));
    const planned: Planned = {
      orderId: order.id,
      courseId: course.id,
      sessionId: row!.checkoutSessionId!,
      paymentIntentId: 'pi_test_partial',
      scenario: 'paid',
    };
    // Found by its session when the metadata is missing.
    const completed = sessionObject(planned, 'paid') as Record<string, unknown>;
    delete completed.metadata;
    expect((await post(stripeEvent('checkout.session.completed', completed))).status).toBe(200);
    // Found by its payment intent when the charge carries no metadata either.
    const partial = { ...chargeObject(planned), amount_refunded: 10_000, metadata: {} };
    const refund = stripeEvent('charge.refunded', partial);
    expect((await post(refund)).status).toBe(200);
    expect(await outcomeOf(refund.id)).toBe('partial_refund:10000');
    const [after] = await db().select().from(orders).where(eq(orders.id, order.id));
    expect(after).toMatchObject({ status: 'paid', refundedAmount: 10_000 });
    const [enrollment] = await db()
      .select()
      .from(enrollments)
      .where(and(eq(enrollments.userId, student.id), eq(enrollments.courseId, course.id)));
    expect(enrollment).toMatchObject({ status: 'active', orderId: order.id });
  });

  it('pays nobody on a signed event whose amount, currency or session is not the order’s', async () => {
    const post = async (event: ReturnType<typeof stripeEvent>) => {
      const payload = JSON.stringify(event);
      const res = await fetch(`${server.url}/api/v1/payments/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': sign(payload) },
        body: payload,
      });
      return res.status;
    };
    const outcomeOf = async (id: string) =>
      (await db().select().from(paymentEvents).where(eq(paymentEvents.id, id)))[0]?.outcome;
    const instructor = await signedInUser(server, 'instructor');
    const student = await signedInUser(server, 'student');
    const course = await insertCourse(db(), { instructorId: instructor.id, price: PRICE });
    const { order } = await server.services.orders.create(
      { userId: student.id, role: 'student' },
      { courseId: course.id },
    );
    const [row] = await db().select().from(orders).where(eq(orders.id, order.id));
    const planned: Planned = {
      orderId: order.id,
      courseId: course.id,
      sessionId: row!.checkoutSessionId!,
      paymentIntentId: 'pi_test_mismatch',
      scenario: 'paid',
    };
    const completed = (object: Record<string, unknown>) =>
      stripeEvent('checkout.session.completed', { ...sessionObject(planned, 'paid'), ...object });

    const cheaper = completed({ amount_total: 1 });
    const otherCurrency = completed({ currency: 'usd' });
    const nothingToPay = completed({ payment_status: 'no_payment_required', amount_total: 0 });
    const otherSession = completed({ id: 'cs_test_someone_else' });
    const lateOtherSession = stripeEvent('checkout.session.async_payment_succeeded', {
      ...sessionObject(planned, 'paid'),
      id: 'cs_test_someone_else',
    });
    for (const [event, outcome] of [
      [cheaper, 'amount_mismatch'],
      [otherCurrency, 'amount_mismatch'],
      [nothingToPay, 'amount_mismatch'],
      [otherSession, 'session_mismatch'],
      [lateOtherSession, 'session_mismatch'],
    ] as const) {
      // Acknowledged (a retry would be refused the same way) and recorded, but nothing changes.
      expect(await post(event)).toBe(200);
      expect(await outcomeOf(event.id)).toBe(outcome);
    }
    const [after] = await db().select().from(orders).where(eq(orders.id, order.id));
    expect(after).toMatchObject({ status: 'pending', paidAt: null, paymentIntentId: null });
    const enrolled = await db()
      .select()
      .from(enrollments)
      .where(and(eq(enrollments.userId, student.id), eq(enrollments.courseId, course.id)));
    expect(enrolled).toEqual([]);

    // The genuine event, upper-case currency or not, still pays.
    const genuine = completed({});
    expect(await post(genuine)).toBe(200);
    expect(await outcomeOf(genuine.id)).toBe('pending->paid');
  });
});

describe('webhooks without a payment gateway [embedded]', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ SEED_DEMO_DATA: 'false', PAYMENTS_BACKEND: 'none', TRUST_PROXY: 'true' });
  });
  afterAll(() => server?.stop());

  it('answers 503 payments_unavailable to the webhook and to a quote', async () => {
    const res = await fetch(`${server.url}/api/v1/payments/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      body: '{}',
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payments_unavailable');
    const instructor = await signedInUser(server, 'instructor');
    const student = await signedInUser(server, 'student');
    const course = await insertCourse(server.database.primary, { instructorId: instructor.id, price: PRICE });
    const quote = await student.client.call('GET', `/courses/${course.id}/checkout`);
    expect(quote.status).toBe(503);
    // The test gateway's page is not there either.
    expect((await fetch(`${server.url}/test-gateway/checkout/cs_test_x`)).status).toBe(404);
  });
});
