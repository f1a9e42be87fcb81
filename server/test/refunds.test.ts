import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lessons } from '../src/modules/catalog/schema.js';
import { enrollments } from '../src/modules/enrollments/schema.js';
import { orders, paymentEvents } from '../src/modules/payments/schema.js';
import { lessonProgress } from '../src/modules/progress/schema.js';
import { users } from '../src/modules/users/schema.js';
import type { ApiClient } from './support/accounts.js';
import { errorCode, mailsTo } from './support/accounts.js';
import { json, signedInAs } from './support/catalog.js';
import { insertCourse, insertReadyVideo, type FixtureCourse } from './support/course-fixtures.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

type Client = ApiClient & { userId: string };
const DAY = 24 * 60 * 60 * 1000;

interface Order {
  id: string;
  status: string;
  amount: number;
  currency: string;
  paidAt: string | null;
  refundRequestedAt: string | null;
  refundedAt: string | null;
  refundedAmount: number;
  receiptNumber: string;
  checkoutUrl: string | null;
}
interface RefundRequest {
  id: string;
  orderId: string;
  status: 'requested' | 'approved' | 'rejected';
  reason: string;
  watchedPercent: number;
  daysSincePaid: number;
  decidedAt: string | null;
  decisionNote: string | null;
}
interface OrderDetail {
  order: Order;
  refund: {
    eligible: boolean;
    reason: string | null;
    watchedPercent: number;
    windowEndsAt: string | null;
    request: RefundRequest | null;
  };
}
interface RevenueLine {
  courseId: string;
  courseTitle: string;
  month: string;
  currency: string;
  orders: number;
  gross: number;
  refunded: number;
  net: number;
}

describe.each(serverBackends())('refunds and revenue [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let ipCounter = 0;
  const ip = () => `10.72.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;
  let instructor: Client;
  let admin: Client;
  let course: FixtureCourse;
  /** The course's one video lesson: 100 s of video. */
  let videoLessonId: string;

  const db = () => server.database.primary;
  const orderDetail = async (client: ApiClient, id: string) =>
    json<OrderDetail>(await client.call('GET', `/orders/${id}`));
  const askRefund = (client: ApiClient, orderId: string, reason = 'Not what I expected') =>
    client.call('POST', `/orders/${orderId}/refund-request`, { reason });
  const playback = (client: ApiClient) => client.call('POST', `/lessons/${videoLessonId}/playback`, {});
  const enrollmentOf = async (userId: string) =>
    (
      await db()
        .select()
        .from(enrollments)
        .where(and(eq(enrollments.userId, userId), eq(enrollments.courseId, course.id)))
    )[0];

  /** A student who bought the course through the test gateway's page, the order paid by its webhook. */
  async function buyer(): Promise<{ student: Client; order: Order }> {
    const student = await signedInAs(server, 'student', ip());
    const created = await student.call('POST', '/orders', { courseId: course.id });
    expect(created.status).toBe(201);
    const { order, checkoutUrl } = await json<{ order: Order; checkoutUrl: string }>(created);
    const paid = await fetch(`${checkoutUrl}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    const settled = await waitUntil(async () => {
      const detail = await orderDetail(student, order.id);
      return detail.order.status === 'paid' ? detail.order : undefined;
    }, 'the order to be paid');
    return { student, order: settled };
  }

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({ ...s.env, SEED_DEMO_DATA: 'false', TRUST_PROXY: 'true' });
    [instructor, admin] = await Promise.all([
      signedInAs(server, 'instructor', ip()),
      signedInAs(server, 'admin', ip()),
    ]);
    course = await insertCourse(db(), { instructorId: instructor.userId, price: 39_000, title: 'Refundable course' });
    const video = await insertReadyVideo(db(), instructor.userId, { durationSeconds: 100 });
    videoLessonId = course.paidLessonId;
    await db().update(lessons).set({ type: 'video', videoId: video.id }).where(eq(lessons.id, videoLessonId));
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('refunds a student who asks in time: the admin approves, the enrollment ends and playback is refused', async () => {
    const { student, order } = await buyer();
    expect((await playback(student)).status).toBe(200);
    expect((await enrollmentOf(student.userId))?.status).toBe('active');

    const before = await orderDetail(student, order.id);
    expect(before.refund).toMatchObject({ eligible: true, reason: null, watchedPercent: 0, request: null });
    expect(Date.parse(before.refund.windowEndsAt!) - Date.parse(order.paidAt!)).toBe(7 * DAY);

    const asked = await askRefund(student, order.id, 'The course is not for me');
    expect(asked.status).toBe(201);
    const { request } = await json<{ request: RefundRequest }>(asked);
    expect(request).toMatchObject({
      orderId: order.id,
      status: 'requested',
      reason: 'The course is not for me',
      watchedPercent: 0,
      daysSincePaid: 0,
      decidedAt: null,
    });
    const again = await askRefund(student, order.id);
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('refund_already_requested');
    expect((await orderDetail(student, order.id)).refund).toMatchObject({
      eligible: false,
      reason: 'request_open',
      request: { id: request.id, status: 'requested' },
    });

    // The admin finds it among the open requests, with who asked.
    const open = await json<{ items: { request: RefundRequest; order: Order; user: { id: string } }[] }>(
      await admin.call('GET', '/admin/refund-requests?pageSize=50'),
    );
    expect(open.items.find((i) => i.request.id === request.id)).toMatchObject({
      order: { id: order.id, status: 'paid' },
      user: { id: student.userId },
    });

    const approved = await admin.call('POST', `/admin/refund-requests/${request.id}/approve`, { note: 'Refunded' });
    expect(approved.status).toBe(200);
    const decided = await json<{ request: RefundRequest; order: Order }>(approved);
    expect(decided.request).toMatchObject({ status: 'approved', decisionNote: 'Refunded' });
    expect(decided.order).toMatchObject({ id: order.id, status: 'refunded', refundedAmount: 39_000 });
    expect(decided.order.refundedAt).not.toBeNull();

    // Access ends with the refund: the enrollment is revoked and the next grant is refused.
    expect((await enrollmentOf(student.userId))?.status).toBe('revoked');
    const refused = await playback(student);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('not_enrolled');

    const twice = await admin.call('POST', `/admin/refund-requests/${request.id}/approve`, {});
    expect(twice.status).toBe(409);
    expect(await errorCode(twice)).toBe('refund_request_decided');
    expect((await orderDetail(student, order.id)).refund).toMatchObject({ eligible: false, reason: 'not_paid' });

    // The decision reaches the student, in Korean and English.
    const email = await studentEmail(student.userId);
    const mail = await waitUntil(async () => {
      const mails = await mailsTo(server.url, email);
      return mails.find((m) => m.subject.includes('approved'));
    }, 'the approval mail');
    expect(mail.subject).toContain('환불 요청 승인');
    expect(mail.text).toContain(order.receiptNumber);
  });

  it('refuses a request outside the window, after watching 30 %, for an unpaid order, and for someone else', async () => {
    const late = await buyer();
    await db()
      .update(orders)
      .set({ paidAt: new Date(Date.now() - 8 * DAY) })
      .where(eq(orders.id, late.order.id));
    const outside = await askRefund(late.student, late.order.id);
    expect(outside.status).toBe(422);
    const body = await json<{ error: { code: string; details: { reason: string } } }>(outside);
    expect(body.error).toMatchObject({ code: 'refund_not_eligible', details: { reason: 'window_passed' } });

    const watcher = await buyer();
    const watched = (seconds: number) =>
      db()
        .insert(lessonProgress)
        .values({
          userId: watcher.student.userId,
          lessonId: videoLessonId,
          courseId: course.id,
          watchedSeconds: seconds,
        })
        .onConflictDoUpdate({
          target: [lessonProgress.userId, lessonProgress.lessonId],
          set: { watchedSeconds: seconds },
        });
    await watched(29.5);
    expect((await orderDetail(watcher.student, watcher.order.id)).refund).toMatchObject({
      eligible: true,
      watchedPercent: 29,
    });
    await watched(30);
    const tooMuch = await askRefund(watcher.student, watcher.order.id);
    expect(tooMuch.status).toBe(422);
    expect(
      (await json<{ error: { details: { reason: string; watchedPercent: number } } }>(tooMuch)).error.details,
    ).toMatchObject({
      reason: 'watched_too_much',
      watchedPercent: 30,
    });

    // An order still waiting for payment has nothing to refund.
    const unpaid = await signedInAs(server, 'student', ip());
    const pending = await json<{ order: Order }>(await unpaid.call('POST', '/orders', { courseId: course.id }));
    const notPaid = await askRefund(unpaid, pending.order.id);
    expect(notPaid.status).toBe(422);
    expect((await json<{ error: { details: { reason: string } } }>(notPaid)).error.details.reason).toBe('not_paid');

    // Someone else's order is not there for them; admins refund directly instead of asking.
    const stranger = await askRefund(unpaid, watcher.order.id);
    expect(stranger.status).toBe(404);
    expect((await askRefund(admin, watcher.order.id)).status).toBe(404);
    expect((await askRefund(unpaid, randomUUID())).status).toBe(404);
  });

  it('lets an admin refund any paid order directly, and only a paid one', async () => {
    const { student, order } = await buyer();
    // Outside the policy: the admin may still refund.
    await db()
      .update(orders)
      .set({ paidAt: new Date(Date.now() - 30 * DAY) })
      .where(eq(orders.id, order.id));

    const res = await admin.call('POST', `/admin/orders/${order.id}/refund`, { reason: 'Charged twice' });
    expect(res.status).toBe(200);
    expect((await json<{ order: Order }>(res)).order).toMatchObject({ status: 'refunded', refundedAmount: 39_000 });
    expect((await enrollmentOf(student.userId))?.status).toBe('revoked');
    expect((await playback(student)).status).toBe(403);

    const again = await admin.call('POST', `/admin/orders/${order.id}/refund`, { reason: 'Again' });
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('order_not_paid');

    const waiting = await signedInAs(server, 'student', ip());
    const pending = await json<{ order: Order }>(await waiting.call('POST', '/orders', { courseId: course.id }));
    const notPaid = await admin.call('POST', `/admin/orders/${pending.order.id}/refund`, { reason: 'No' });
    expect(notPaid.status).toBe(409);
    expect((await admin.call('POST', `/admin/orders/${randomUUID()}/refund`, { reason: 'No' })).status).toBe(404);

    // The admin's list finds orders by the buyer's email and by status.
    const email = await studentEmail(student.userId);
    const found = await json<{ items: (Order & { user: { email: string } })[]; total: number }>(
      await admin.call('GET', `/admin/orders?q=${encodeURIComponent(email)}`),
    );
    expect(found.total).toBe(1);
    expect(found.items[0]).toMatchObject({ id: order.id, status: 'refunded', user: { email } });
    const pendingOnes = await json<{ items: Order[] }>(
      await admin.call('GET', '/admin/orders?status=pending&pageSize=50'),
    );
    expect(pendingOnes.items.map((o) => o.id)).toContain(pending.order.id);
    expect(pendingOnes.items.every((o) => o.status === 'pending')).toBe(true);
  });

  it('ends only the access an order granted: refunding a second payment keeps the course, the first ends it', async () => {
    const { student, order: first } = await buyer();
    // A second payment for the course (a second tab, a payment landing after the first): the money
    // is taken, so the order is paid, but it grants nothing the student did not have.
    const [second] = await db()
      .insert(orders)
      .values({
        userId: student.userId,
        courseId: course.id,
        listAmount: 39_000,
        amount: 39_000,
        currency: 'KRW',
        gateway: 'test',
        checkoutSessionId: `cs_test_${randomUUID()}`,
      })
      .returning();
    const paidEvent = `evt_second_${randomUUID()}`;
    const paid = await server.services.orderLedger.apply(
      second!.id,
      { to: 'paid', paymentIntentId: `pi_test_${randomUUID()}`, amount: 39_000, currency: 'KRW' },
      { eventId: paidEvent, eventType: 'checkout.session.completed' },
    );
    expect(paid).toMatchObject({ outcome: 'paid_already_enrolled', order: { status: 'paid' } });
    expect((await db().select().from(paymentEvents).where(eq(paymentEvents.id, paidEvent)))[0]?.outcome).toBe(
      'paid_already_enrolled',
    );
    expect(await enrollmentOf(student.userId)).toMatchObject({ status: 'active', orderId: first.id });

    // An admin gives the second payment back: the course stays.
    await server.services.orderLedger.apply(
      second!.id,
      { to: 'refunded', amountRefunded: 39_000 },
      { eventId: `evt_refund_${randomUUID()}`, eventType: 'charge.refunded' },
    );
    expect((await db().select().from(orders).where(eq(orders.id, second!.id)))[0]?.status).toBe('refunded');
    expect(await enrollmentOf(student.userId)).toMatchObject({ status: 'active', orderId: first.id });
    expect((await playback(student)).status).toBe(200);

    // Refunding the order that granted the course ends it.
    const res = await admin.call('POST', `/admin/orders/${first.id}/refund`, { reason: 'Both payments back' });
    expect(res.status).toBe(200);
    expect((await enrollmentOf(student.userId))?.status).toBe('revoked');
    expect((await playback(student)).status).toBe(403);
  });

  it('rejects a request with a note the student sees, and keeps the course', async () => {
    const { student, order } = await buyer();
    const { request } = await json<{ request: RefundRequest }>(await askRefund(student, order.id));
    const rejected = await admin.call('POST', `/admin/refund-requests/${request.id}/reject`, {
      note: 'You completed most of the exercises',
    });
    expect(rejected.status).toBe(200);
    expect((await json<{ request: RefundRequest }>(rejected)).request).toMatchObject({
      status: 'rejected',
      decisionNote: 'You completed most of the exercises',
    });
    const detail = await orderDetail(student, order.id);
    expect(detail.order.status).toBe('paid');
    expect(detail.refund.request).toMatchObject({ id: request.id, status: 'rejected' });
    expect((await playback(student)).status).toBe(200);
    expect((await admin.call('POST', `/admin/refund-requests/${request.id}/approve`, {})).status).toBe(409);
    const listed = await json<{ items: { request: RefundRequest }[] }>(
      await admin.call('GET', '/admin/refund-requests?status=rejected'),
    );
    expect(listed.items.map((i) => i.request.id)).toContain(request.id);

    const email = await studentEmail(student.userId);
    const mail = await waitUntil(
      async () => (await mailsTo(server.url, email)).find((m) => m.subject.includes('declined')),
      'the rejection mail',
    );
    expect(mail.text).toContain('You completed most of the exercises');
  });

  it('adds up an instructor’s revenue by course and UTC month, per currency', async () => {
    const teacher = await signedInAs(server, 'instructor', ip());
    const rival = await signedInAs(server, 'instructor', ip());
    const buyerId = (await signedInAs(server, 'student', ip())).userId;
    const krw = await insertCourse(db(), { instructorId: teacher.userId, price: 30_000, title: 'A KRW course' });
    const usd = await insertCourse(db(), {
      instructorId: teacher.userId,
      price: 2500,
      title: 'B USD course',
      extra: { currency: 'USD' },
    });
    const foreign = await insertCourse(db(), { instructorId: rival.userId, price: 10_000 });
    const order = (
      courseId: string,
      status: 'paid' | 'refunded' | 'pending' | 'failed',
      paidAt: string | null,
      amount: number,
      currency: 'KRW' | 'USD' = 'KRW',
      /** Given back of a paid order that stays paid. */
      partial = 0,
    ) => ({
      userId: buyerId,
      courseId,
      status,
      listAmount: amount,
      amount,
      currency,
      paidAt: paidAt ? new Date(paidAt) : null,
      refundedAt: status === 'refunded' ? new Date() : null,
      refundedAmount: status === 'refunded' ? amount : partial,
    });
    await db()
      .insert(orders)
      .values([
        order(krw.id, 'paid', '2026-01-05T10:00:00Z', 30_000),
        order(krw.id, 'refunded', '2026-01-20T10:00:00Z', 30_000),
        // 23:30 UTC on Jan 31 is already February in Seoul; months are UTC.
        order(krw.id, 'paid', '2026-01-31T23:30:00Z', 24_000),
        // Paid, 5,000 of it given back later: the student keeps the course.
        order(krw.id, 'paid', '2026-02-01T00:30:00Z', 30_000, 'KRW', 5_000),
        order(usd.id, 'paid', '2026-02-10T10:00:00Z', 2500, 'USD'),
        order(usd.id, 'refunded', '2026-02-11T10:00:00Z', 2000, 'USD'),
        // Not counted: no money taken, outside the range, another instructor's course.
        order(krw.id, 'pending', null, 30_000),
        order(krw.id, 'failed', null, 30_000),
        order(krw.id, 'paid', '2025-12-31T23:59:00Z', 30_000),
        order(krw.id, 'paid', '2026-03-01T00:00:00Z', 30_000),
        order(foreign.id, 'paid', '2026-01-10T10:00:00Z', 10_000),
      ]);

    const res = await teacher.call('GET', '/studio/revenue?from=2026-01&to=2026-02');
    expect(res.status).toBe(200);
    const report = await json<{ items: RevenueLine[]; totals: unknown[] }>(res);
    expect(report.items).toEqual([
      {
        courseId: krw.id,
        courseTitle: 'A KRW course',
        month: '2026-01',
        currency: 'KRW',
        orders: 3,
        gross: 84_000,
        refunded: 30_000,
        net: 54_000,
      },
      {
        courseId: krw.id,
        courseTitle: 'A KRW course',
        month: '2026-02',
        currency: 'KRW',
        orders: 1,
        gross: 30_000,
        refunded: 5_000,
        net: 25_000,
      },
      {
        courseId: usd.id,
        courseTitle: 'B USD course',
        month: '2026-02',
        currency: 'USD',
        orders: 2,
        gross: 4500,
        refunded: 2000,
        net: 2500,
      },
    ]);
    expect(report.totals).toEqual([
      { currency: 'KRW', orders: 4, gross: 114_000, refunded: 35_000, net: 79_000 },
      { currency: 'USD', orders: 2, gross: 4500, refunded: 2000, net: 2500 },
    ]);

    // An admin may look at any instructor's; an instructor only at their own.
    const asAdmin = await admin.call('GET', `/studio/revenue?from=2026-01&to=2026-02&instructorId=${teacher.userId}`);
    expect((await json<{ items: RevenueLine[] }>(asAdmin)).items).toEqual(report.items);
    expect((await rival.call('GET', `/studio/revenue?instructorId=${teacher.userId}`)).status).toBe(403);
    const rivals = await json<{ items: RevenueLine[] }>(
      await rival.call('GET', '/studio/revenue?from=2026-01&to=2026-01'),
    );
    expect(rivals.items).toEqual([expect.objectContaining({ courseId: foreign.id, orders: 1, gross: 10_000 })]);

    // Ranges: the order of the months and at most 36 of them; a malformed month is a 400.
    const reversed = await teacher.call('GET', '/studio/revenue?from=2026-02&to=2026-01');
    expect(reversed.status).toBe(422);
    expect(await errorCode(reversed)).toBe('revenue_range_invalid');
    expect((await teacher.call('GET', '/studio/revenue?from=2023-01&to=2026-01')).status).toBe(422);
    expect((await teacher.call('GET', '/studio/revenue?from=2023-02&to=2026-01')).status).toBe(200);
    expect((await teacher.call('GET', '/studio/revenue?from=2026-13')).status).toBe(400);
    const student = await signedInAs(server, 'student', ip());
    expect((await student.call('GET', '/studio/revenue')).status).toBe(403);
  });

  async function studentEmail(userId: string): Promise<string> {
    return (await db().select({ email: users.email }).from(users).where(eq(users.id, userId)))[0]!.email;
  }
});
