import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentJobHandlers, reconcileOrdersJob, sendReceiptJob } from '../src/modules/payments/jobs.js';
import { OrderService } from '../src/modules/payments/order-service.js';
import { OrderRepository } from '../src/modules/payments/repository.js';
import { coupons, orders, paymentEvents } from '../src/modules/payments/schema.js';
import { enrollments } from '../src/modules/enrollments/schema.js';
import { users } from '../src/modules/users/schema.js';
import type { MailMessage } from '../src/platform/mail/port.js';
import type { CheckoutSnapshot, PaymentGatewayPort } from '../src/platform/payments/port.js';
import { TestGateway } from '../src/platform/payments/test-gateway.js';
import type { JobContext, QueuePort } from '../src/platform/queue/port.js';
import { errorCode, mailsTo } from './support/accounts.js';
import { insertCourse, signedInUser } from './support/course-fixtures.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

interface OrderJson {
  id: string;
  status: string;
  course: { id: string; title: string };
  listAmount: number;
  discountAmount: number;
  amount: number;
  currency: string;
  couponCode: string | null;
  checkoutUrl: string | null;
  receiptNumber: string;
  paidAt: string | null;
  expiredAt: string | null;
}

const json = async <T>(res: Response) => (await res.json()) as T;
const context: JobContext = {
  jobId: 'test',
  attempt: 1,
  signal: new AbortController().signal,
  reportProgress: async () => {},
};

describe.each(serverBackends())('orders [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let instructor: Awaited<ReturnType<typeof signedInUser>>;
  const db = () => server.database.primary;

  const paidCourse = (price = 39_000, title?: string) =>
    insertCourse(db(), { instructorId: instructor.id, price, title });
  const coupon = async (values: Partial<typeof coupons.$inferInsert> & { code: string }) => {
    const [row] = await db()
      .insert(coupons)
      .values({ kind: 'percent', percentOff: 10, createdBy: instructor.id, ...values })
      .returning();
    return row!;
  };
  const orderRow = async (id: string) => (await db().select().from(orders).where(eq(orders.id, id)))[0]!;
  const enrollmentOf = async (userId: string, courseId: string) =>
    (
      await db()
        .select()
        .from(enrollments)
        .where(and(eq(enrollments.userId, userId), eq(enrollments.courseId, courseId)))
    )[0];

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({
      ...s.env,
      TRUST_PROXY: 'true',
      SEED_DEMO_DATA: 'false',
      PAYMENTS_BACKEND: 'test',
    });
    instructor = await signedInUser(server, 'instructor');
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('quotes a course with a coupon (percent rounded down) and says why one cannot be bought', async () => {
    const course = await paidCourse(39_999, '데이터베이스 설계');
    const other = await paidCourse();
    const free = await paidCourse(0);
    const { client } = await signedInUser(server, 'student');
    const code = `SAVE${randomBytes(3).toString('hex').toUpperCase()}`;
    await coupon({ code, percentOff: 15, courseId: course.id });

    const plain = await client.call('GET', `/courses/${course.id}/checkout`);
    expect(plain.status).toBe(200);
    expect(await json(plain)).toMatchObject({
      course: { id: course.id, title: '데이터베이스 설계' },
      listAmount: 39_999,
      discountAmount: 0,
      amount: 39_999,
      currency: 'KRW',
      coupon: null,
      gateway: 'test',
    });
    // 15 % of 39,999 is 5,999.85: the discount is 5,999, never a fraction more. Any case works.
    const discounted = await client.call('GET', `/courses/${course.id}/checkout?coupon=${code.toLowerCase()}`);
    expect(await json(discounted)).toMatchObject({
      discountAmount: 5_999,
      amount: 34_000,
      coupon: { code, kind: 'percent', percentOff: 15, amountOff: null },
    });

    const refusal = async (path: string) => {
      const res = await client.call('GET', path);
      const body = await json<{ error: { code: string; details?: { reason?: string } } }>(res);
      return [res.status, body.error.code, body.error.details?.reason];
    };
    expect(await refusal(`/courses/${course.id}/checkout?coupon=NOPE-${code}`)).toEqual([
      422,
      'coupon_invalid',
      'not_found',
    ]);
    expect(await refusal(`/courses/${other.id}/checkout?coupon=${code}`)).toEqual([
      422,
      'coupon_invalid',
      'not_applicable',
    ]);
    expect(await refusal(`/courses/${free.id}/checkout`)).toEqual([409, 'course_free', undefined]);
    expect(await refusal(`/courses/00000000-0000-4000-8000-000000000000/checkout`)).toEqual([
      404,
      'course_not_found',
      undefined,
    ]);
    const own = await instructor.client.call('GET', `/courses/${course.id}/checkout`);
    expect([own.status, await errorCode(own)]).toEqual([409, 'own_course']);
    const expiredCode = `OLD${randomBytes(3).toString('hex').toUpperCase()}`;
    await coupon({ code: expiredCode, expiresAt: new Date(Date.now() - 1000) });
    expect(await refusal(`/courses/${course.id}/checkout?coupon=${expiredCode}`)).toEqual([
      422,
      'coupon_invalid',
      'expired',
    ]);
  });

  it('creates an order idempotently, keeps one open per course, cancels it and returns the coupon use', async () => {
    const course = await paidCourse(50_000);
    const another = await paidCourse();
    const { client } = await signedInUser(server, 'student');
    const code = `HALF${randomBytes(3).toString('hex').toUpperCase()}`;
    const half = await coupon({ code, percentOff: 50, maxUses: 5 });
    const key = `order-${randomBytes(6).toString('hex')}`;

    const first = await client.call(
      'POST',
      '/orders',
      { courseId: course.id, couponCode: code },
      { 'idempotency-key': key },
    );
    expect(first.status).toBe(201);
    const created = await json<{ order: OrderJson; checkoutUrl: string }>(first);
    expect(created.order).toMatchObject({
      status: 'pending',
      listAmount: 50_000,
      discountAmount: 25_000,
      amount: 25_000,
      couponCode: code,
    });
    expect(created.order.receiptNumber).toBe(`LR-${created.order.id.replace(/-/g, '').slice(0, 12).toUpperCase()}`);
    expect(created.checkoutUrl).toMatch(new RegExp(`^${server.url}/test-gateway/checkout/cs_test_`));
    expect(created.order.checkoutUrl).toBe(created.checkoutUrl);
    // The hosted page shows the amount to pay.
    const page = await fetch(created.checkoutUrl, { headers: { 'accept-language': 'en' } });
    expect(page.status).toBe(200);

    // The same key again (a double click, a retry after a timeout): the same order.
    const again = await client.call(
      'POST',
      '/orders',
      { courseId: course.id, couponCode: code },
      { 'idempotency-key': key },
    );
    expect(again.status).toBe(200);
    expect((await json<{ order: OrderJson }>(again)).order.id).toBe(created.order.id);
    const reused = await client.call('POST', '/orders', { courseId: another.id }, { 'idempotency-key': key });
    expect([reused.status, await errorCode(reused)]).toEqual([422, 'idempotency_key_reused']);
    // Without the key: the open order is pointed at rather than a second one made.
    const second = await client.call('POST', '/orders', { courseId: course.id });
    expect(second.status).toBe(409);
    expect(await json(second)).toMatchObject({
      error: { code: 'order_open', details: { orderId: created.order.id, checkoutUrl: created.checkoutUrl } },
    });
    expect((await db().select().from(coupons).where(eq(coupons.id, half.id)))[0]!.usedCount).toBe(1);

    // Someone else's order does not exist for them.
    const stranger = await signedInUser(server, 'student');
    expect((await stranger.client.call('GET', `/orders/${created.order.id}`)).status).toBe(404);
    expect((await stranger.client.call('POST', `/orders/${created.order.id}/cancel`)).status).toBe(404);

    const detail = await client.call('GET', `/orders/${created.order.id}`);
    expect(detail.status).toBe(200);
    expect(await json(detail)).toMatchObject({
      order: { id: created.order.id, status: 'pending' },
      buyer: { email: expect.stringContaining('@example.com') },
      refund: { eligible: false, reason: 'not_paid' },
    });

    const cancelled = await client.call('POST', `/orders/${created.order.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect((await json<{ order: OrderJson }>(cancelled)).order).toMatchObject({ status: 'expired', checkoutUrl: null });
    expect((await db().select().from(coupons).where(eq(coupons.id, half.id)))[0]!.usedCount).toBe(0);
    const twice = await client.call('POST', `/orders/${created.order.id}/cancel`);
    expect([twice.status, await errorCode(twice)]).toEqual([409, 'order_not_pending']);
    // The closed session can no longer be paid.
    const pay = await fetch(`${created.checkoutUrl}/pay`, { method: 'POST', redirect: 'manual' });
    expect(pay.status).toBe(409);

    // A new order for the course can be made now.
    const fresh = await client.call('POST', '/orders', { courseId: course.id });
    expect(fresh.status).toBe(201);
    const mine = await json<{ items: OrderJson[]; total: number }>(await client.call('GET', '/me/orders'));
    expect(mine.total).toBe(2);
    expect(mine.items.map((o) => o.status)).toEqual(['pending', 'expired']);
    const onlyExpired = await json<{ total: number }>(await client.call('GET', '/me/orders?status=expired'));
    expect(onlyExpired.total).toBe(1);
  });

  it('makes concurrent retries with one key one order', async () => {
    const course = await paidCourse();
    const { id: studentId, client } = await signedInUser(server, 'student');
    const key = `burst-${randomBytes(6).toString('hex')}`;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        client.call('POST', '/orders', { courseId: course.id }, { 'idempotency-key': key }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const ids = new Set(await Promise.all(results.map(async (r) => (await json<{ order: OrderJson }>(r)).order.id)));
    expect(ids.size).toBe(1);
    expect(await db().select().from(orders).where(eq(orders.userId, studentId))).toHaveLength(1);
  });

  it('pays at the test gateway: the webhook makes the order paid, enrolls the student and mails the receipt', async () => {
    const course = await paidCourse(45_000, '실전 타입스크립트');
    const { id: studentId, email, client } = await signedInUser(server, 'student');
    const created = await json<{ order: OrderJson; checkoutUrl: string }>(
      await client.call('POST', '/orders', { courseId: course.id }),
    );
    const pay = await fetch(`${created.checkoutUrl}/pay`, { method: 'POST', redirect: 'manual' });
    expect(pay.status).toBe(303);
    expect(pay.headers.get('location')).toContain(`/checkout/success?order=${created.order.id}`);

    const paid = await waitUntil(async () => {
      const { order } = await json<{ order: OrderJson }>(await client.call('GET', `/orders/${created.order.id}`));
      return order.status === 'paid' ? order : undefined;
    }, 'the order paid by its webhook');
    expect(paid.checkoutUrl).toBeNull();
    expect(await enrollmentOf(studentId, course.id)).toMatchObject({
      status: 'active',
      source: 'order',
      orderId: created.order.id,
    });
    expect(await server.services.courseAccess.accessOf({ userId: studentId, role: 'student' }, course.id)).toBe(
      'enrolled',
    );
    const events = await db().select().from(paymentEvents).where(eq(paymentEvents.orderId, created.order.id));
    expect(events.map((e) => e.outcome)).toContain('pending->paid');

    const receipt = await waitUntil(
      async () => (await mailsTo(server.url, email)).find((m) => m.subject.includes(paid.receiptNumber)),
      'the receipt',
    );
    expect(receipt.subject).toContain('실전 타입스크립트');
    expect(receipt.text).toContain('₩45,000');
    expect(receipt.text).toContain(`/me/orders/${created.order.id}`);
    await waitUntil(
      async () => ((await orderRow(created.order.id)).receiptSentAt ? true : undefined),
      'receipt_sent_at',
    );

    const buyAgain = await client.call('POST', '/orders', { courseId: course.id });
    expect([buyAgain.status, await errorCode(buyAgain)]).toEqual([409, 'already_enrolled']);
  });

  it('declining at the gateway fails the order and enrolls nobody', async () => {
    const course = await paidCourse();
    const { id: studentId, client } = await signedInUser(server, 'student');
    const created = await json<{ order: OrderJson; checkoutUrl: string }>(
      await client.call('POST', '/orders', { courseId: course.id }),
    );
    expect((await fetch(`${created.checkoutUrl}/decline`, { method: 'POST', redirect: 'manual' })).status).toBe(303);
    await waitUntil(
      async () => ((await orderRow(created.order.id)).status === 'failed' ? true : undefined),
      'a failed order',
    );
    expect(await enrollmentOf(studentId, course.id)).toBeUndefined();
  });

  it('makes an order that a coupon brings to zero paid at once, without the gateway', async () => {
    const course = await paidCourse(30_000);
    const { id: studentId, email, client } = await signedInUser(server, 'student');
    const code = `FREE${randomBytes(3).toString('hex').toUpperCase()}`;
    const all = await coupon({ code, percentOff: 100, courseId: course.id, maxUses: 1 });
    const res = await client.call('POST', '/orders', { courseId: course.id, couponCode: code });
    expect(res.status).toBe(201);
    const body = await json<{ order: OrderJson; checkoutUrl: string | null }>(res);
    expect(body.checkoutUrl).toBeNull();
    expect(body.order).toMatchObject({ status: 'paid', amount: 0, discountAmount: 30_000 });
    expect((await orderRow(body.order.id)).checkoutSessionId).toBeNull();
    expect(await enrollmentOf(studentId, course.id)).toMatchObject({ status: 'active', orderId: body.order.id });
    expect((await db().select().from(coupons).where(eq(coupons.id, all.id)))[0]!.usedCount).toBe(1);
    await waitUntil(
      async () => (await mailsTo(server.url, email)).find((m) => m.subject.includes(body.order.receiptNumber)),
      'the receipt',
    );

    // Its one use is gone.
    const other = await signedInUser(server, 'student');
    const exhausted = await other.client.call('POST', '/orders', { courseId: course.id, couponCode: code });
    expect(await json(exhausted)).toMatchObject({
      error: { code: 'coupon_invalid', details: { reason: 'exhausted' } },
    });
  });

  it('reconciles a lost webhook: the payment is found at the gateway and the student enrolled', async () => {
    const course = await paidCourse();
    const { id: studentId, client } = await signedInUser(server, 'student');
    const created = await json<{ order: OrderJson; checkoutUrl: string }>(
      await client.call('POST', '/orders', { courseId: course.id }),
    );
    const sessionId = (await orderRow(created.order.id)).checkoutSessionId!;
    // The student pays, but the webhook never arrives.
    const lostDeliveries: string[] = [];
    const silentGateway = new TestGateway({
      db: db(),
      publicUrl: server.url,
      webhookSecret: 'whsec_unused',
      deliver: async (delivery) => {
        lostDeliveries.push(delivery.eventType);
        throw new Error('the network ate it');
      },
      retryDelaysMs: [],
    });
    await silentGateway.pay(sessionId);
    await silentGateway.whenIdle();
    expect(lostDeliveries).toEqual(['checkout.session.completed']);
    expect((await orderRow(created.order.id)).status).toBe('pending');

    // Another pending order whose session expired unpaid long ago.
    const stale = await paidCourse();
    const staleOrder = await json<{ order: OrderJson }>(await client.call('POST', '/orders', { courseId: stale.id }));
    const longAgo = new Date(Date.now() - 2 * 3_600_000);
    await db().update(orders).set({ createdAt: longAgo }).where(eq(orders.id, created.order.id));
    await db()
      .update(orders)
      .set({ createdAt: longAgo, checkoutExpiresAt: longAgo })
      .where(eq(orders.id, staleOrder.order.id));

    const queued: string[] = [];
    const handlers = paymentJobHandlers({
      db: db(),
      mail: { backend: 'outbox', send: async () => {}, ping: async () => {}, close: async () => {} },
      queue: { enqueue: async (job: { name: string }) => (queued.push(job.name), 'job') } as unknown as QueuePort,
      publicUrl: server.url,
      gateway: silentGateway,
      ledger: server.services.orderLedger,
      reconcileAfterMs: 15 * 60_000,
    });
    const reconcile = handlers.find((h) => h.declaration.name === reconcileOrdersJob.name)!;
    await reconcile.handle({}, context);

    const settled = await orderRow(created.order.id);
    expect(settled.status).toBe('paid');
    expect(settled.paymentIntentId).toMatch(/^pi_test_/);
    expect(await enrollmentOf(studentId, course.id)).toMatchObject({ status: 'active', orderId: created.order.id });
    const expired = await orderRow(staleOrder.order.id);
    expect(expired.status).toBe('expired');
    // The webhook arriving late after all changes nothing more.
    await reconcile.handle({}, context);
    expect((await orderRow(created.order.id)).status).toBe('paid');
  });

  it('leaves no half-made order when the gateway fails: no order, no coupon use, and a retry works', async () => {
    const course = await paidCourse(20_000);
    const student = await signedInUser(server, 'student');
    const code = `ONE${randomBytes(3).toString('hex').toUpperCase()}`;
    const single = await coupon({ code, percentOff: 10, maxUses: 1 });
    const broken: PaymentGatewayPort = {
      backend: 'test',
      createCheckout: async () => {
        throw new Error('gateway down');
      },
      retrieveCheckout: async () => {
        throw new Error('gateway down');
      },
      expireCheckout: async () => {},
      refund: async () => {
        throw new Error('gateway down');
      },
      verifyWebhook: () => {
        throw new Error('unused');
      },
      close: async () => {},
    };
    const service = new OrderService(
      new OrderRepository(db()),
      server.services.orderLedger,
      broken,
      server.services.refunds,
      { publicUrl: server.url, checkoutExpiresMs: 3_600_000 },
    );
    const actor = { userId: student.id, role: 'student' as const };
    const key = `retry-${randomBytes(6).toString('hex')}`;
    await expect(service.create(actor, { courseId: course.id, couponCode: code }, key)).rejects.toMatchObject({
      statusCode: 502,
      code: 'payment_gateway_error',
    });
    expect(await db().select().from(orders).where(eq(orders.userId, student.id))).toEqual([]);
    expect((await db().select().from(coupons).where(eq(coupons.id, single.id)))[0]!.usedCount).toBe(0);

    // The same request again, with the same key, once the gateway is back.
    const retry = await student.client.call(
      'POST',
      '/orders',
      { courseId: course.id, couponCode: code },
      { 'idempotency-key': key },
    );
    expect(retry.status).toBe(201);
    expect((await json<{ order: OrderJson }>(retry)).order).toMatchObject({ status: 'pending', amount: 18_000 });
  });

  it('makes concurrent orders of one student with a 100 % coupon one paid order and one coupon use', async () => {
    const course = await paidCourse(30_000);
    const { id: studentId, client } = await signedInUser(server, 'student');
    const code = `ALL${randomBytes(3).toString('hex').toUpperCase()}`;
    // Unlimited uses: only the purchase itself may stop the second order.
    const all = await coupon({ code, percentOff: 100, courseId: course.id });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => client.call('POST', '/orders', { courseId: course.id, couponCode: code })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const refused of results.filter((r) => r.status === 409)) {
      expect(['already_enrolled', 'order_open']).toContain(await errorCode(refused));
    }
    const made = await db().select().from(orders).where(eq(orders.userId, studentId));
    expect(made.map((o) => o.status)).toEqual(['paid']);
    expect((await db().select().from(coupons).where(eq(coupons.id, all.id)))[0]!.usedCount).toBe(1);
    expect(await enrollmentOf(studentId, course.id)).toMatchObject({ status: 'active', orderId: made[0]!.id });
  });

  it('cancels only once the gateway has closed the session: 502 while it may be open, 409 once it is paid', async () => {
    const course = await paidCourse(20_000);
    const student = await signedInUser(server, 'student');
    let session: CheckoutSnapshot['status'] | 'unreachable' = 'unreachable';
    const stubborn: PaymentGatewayPort = {
      backend: 'test',
      createCheckout: async (request) => ({
        id: `cs_standin_${randomBytes(6).toString('hex')}`,
        url: 'https://gateway.example/pay',
        expiresAt: request.expiresAt,
      }),
      retrieveCheckout: async (id) => {
        if (session === 'unreachable') throw new Error('gateway down');
        return {
          id,
          status: session,
          paymentStatus: 'unpaid',
          paymentIntentId: undefined,
          amountRefunded: 0,
          orderId: undefined,
        };
      },
      // Closing the session never works: the answer depends on what the gateway then says.
      expireCheckout: async () => {
        throw new Error('gateway down');
      },
      refund: async () => {
        throw new Error('unused');
      },
      verifyWebhook: () => {
        throw new Error('unused');
      },
      close: async () => {},
    };
    const service = new OrderService(
      new OrderRepository(db()),
      server.services.orderLedger,
      stubborn,
      server.services.refunds,
      { publicUrl: server.url, checkoutExpiresMs: 3_600_000 },
    );
    const actor = { userId: student.id, role: 'student' as const };
    const { order } = await service.create(actor, { courseId: course.id });

    // The gateway cannot be asked, or says the session is still open: it could still be paid.
    for (const state of ['unreachable', 'open'] as const) {
      session = state;
      await expect(service.cancel(actor, order.id)).rejects.toMatchObject({
        statusCode: 502,
        code: 'payment_gateway_error',
      });
      expect((await orderRow(order.id)).status).toBe('pending');
    }
    // Completed meanwhile: the payment's webhook (or reconciliation) settles it, not the cancel.
    session = 'complete';
    await expect(service.cancel(actor, order.id)).rejects.toMatchObject({ statusCode: 409, code: 'order_being_paid' });
    expect((await orderRow(order.id)).status).toBe('pending');
    // Expired at the gateway after all: nothing can be paid on it, so the order is cancelled.
    session = 'expired';
    expect(await service.cancel(actor, order.id)).toMatchObject({ id: order.id, status: 'expired' });
  });

  it('sends no receipt to a deleted account, and does not keep asking for one', async () => {
    const course = await paidCourse(25_000);
    const student = await signedInUser(server, 'student');
    const [order] = await db()
      .insert(orders)
      .values({
        userId: student.id,
        courseId: course.id,
        status: 'paid',
        listAmount: 25_000,
        amount: 25_000,
        currency: 'KRW',
        gateway: 'test',
        paidAt: new Date(Date.now() - 3_600_000),
      })
      .returning();
    const sent: MailMessage[] = [];
    const queued: unknown[] = [];
    const handlers = paymentJobHandlers({
      db: db(),
      mail: {
        backend: 'outbox',
        send: async (m: MailMessage) => void sent.push(m),
        ping: async () => {},
        close: async () => {},
      },
      queue: {
        enqueue: async (_job: unknown, payload: unknown) => (queued.push(payload), 'job'),
      } as unknown as QueuePort,
      publicUrl: server.url,
      gateway: undefined,
      ledger: undefined,
      reconcileAfterMs: 15 * 60_000,
    });
    const handler = (name: string) => handlers.find((h) => h.declaration.name === name)!;

    await db().update(users).set({ deletedAt: new Date() }).where(eq(users.id, student.id));
    await handler(sendReceiptJob.name).handle({ orderId: order!.id }, context);
    expect(sent).toEqual([]);
    expect((await orderRow(order!.id)).receiptSentAt).toBeNull();
    await handler(reconcileOrdersJob.name).handle({}, context);
    expect(queued).not.toContainEqual({ orderId: order!.id });

    // The same order of a live account gets its receipt.
    await db().update(users).set({ deletedAt: null }).where(eq(users.id, student.id));
    await handler(sendReceiptJob.name).handle({ orderId: order!.id }, context);
    expect(sent.map((m) => m.to)).toEqual([[student.email]]);
  });
});
