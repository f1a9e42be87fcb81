import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courses } from '../src/modules/catalog/schema.js';
import { EnrollmentRepository } from '../src/modules/enrollments/repository.js';
import { enrollments, wishlistItems } from '../src/modules/enrollments/schema.js';
import { orders } from '../src/modules/payments/schema.js';
import { errorCode } from './support/accounts.js';
import { FIXTURE_PASSWORD, insertCourse, signedInUser } from './support/course-fixtures.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, type TestServer } from './support/servers.js';

const matrix = serverBackends();

interface Card {
  id: string;
  cover: { fallback: string } | null;
  title: string;
  isFree: boolean;
  enrollmentCount: number;
  instructor: { id: string; displayName: string };
}

describe.each(matrix)('enrollments and wishlist [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let instructor: Awaited<ReturnType<typeof signedInUser>>;

  const db = () => server.database.primary;
  const enrollmentCount = async (courseId: string) =>
    (await db().select({ n: courses.enrollmentCount }).from(courses).where(eq(courses.id, courseId)))[0]!.n;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({ ...s.env, TRUST_PROXY: 'true', SEED_DEMO_DATA: 'false' });
    instructor = await signedInUser(server, 'instructor', { displayName: '김강사' });
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('enrolls a student in a free course in one click, counts them, lists it under my courses, refuses a second time', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id, title: '입문자를 위한 파이썬', price: 0 });
    const { id: studentId, client } = await signedInUser(server, 'student');

    const res = await client.call('POST', `/courses/${course.id}/enroll`);
    expect(res.status).toBe(201);
    const { enrollment } = (await res.json()) as { enrollment: { courseId: string; source: string; status: string } };
    expect(enrollment).toMatchObject({ courseId: course.id, source: 'free', status: 'active' });
    expect(await enrollmentCount(course.id)).toBe(1);

    const mine = (await (await client.call('GET', '/me/enrollments')).json()) as {
      items: { course: Card; enrolledAt: string }[];
      total: number;
    };
    expect(mine.total).toBe(1);
    expect(mine.items[0]!.course).toMatchObject({
      id: course.id,
      title: '입문자를 위한 파이썬',
      isFree: true,
      enrollmentCount: 1,
      instructor: { id: instructor.id, displayName: '김강사' },
    });

    const again = await client.call('POST', `/courses/${course.id}/enroll`);
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('already_enrolled');
    expect(await enrollmentCount(course.id)).toBe(1);
    expect(await server.services.courseAccess.accessOf({ userId: studentId, role: 'student' }, course.id)).toBe(
      'enrolled',
    );
  });

  it('lets two simultaneous clicks make one enrollment and count the student once', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id, price: 0 });
    const { id: studentId, client } = await signedInUser(server, 'student');
    const results = await Promise.all(
      Array.from({ length: 4 }, () => client.call('POST', `/courses/${course.id}/enroll`)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    const rows = await db()
      .select()
      .from(enrollments)
      .where(and(eq(enrollments.courseId, course.id), eq(enrollments.userId, studentId)));
    expect(rows).toHaveLength(1);
    expect(await enrollmentCount(course.id)).toBe(1);
  });

  it('answers 402 for a paid course, 404 for a draft or unknown one, 409 for the own course, 401 signed out', async () => {
    const paid = await insertCourse(db(), { instructorId: instructor.id, price: 39_000 });
    const draft = await insertCourse(db(), { instructorId: instructor.id, price: 0, status: 'draft' });
    const archived = await insertCourse(db(), { instructorId: instructor.id, price: 0, status: 'archived' });
    const free = await insertCourse(db(), { instructorId: instructor.id, price: 0 });
    const { client } = await signedInUser(server, 'student');

    const paidRes = await client.call('POST', `/courses/${paid.id}/enroll`);
    expect(paidRes.status).toBe(402);
    expect(await errorCode(paidRes)).toBe('payment_required');
    for (const id of [draft.id, archived.id, '00000000-0000-4000-8000-000000000000']) {
      const res = await client.call('POST', `/courses/${id}/enroll`);
      expect(res.status).toBe(404);
      expect(await errorCode(res)).toBe('course_not_found');
    }
    const own = await instructor.client.call('POST', `/courses/${free.id}/enroll`);
    expect(own.status).toBe(409);
    expect(await errorCode(own)).toBe('own_course');
    const anonymous = await fetch(`${server.url}/api/v1/courses/${free.id}/enroll`, { method: 'POST' });
    expect(anonymous.status).toBe(401);

    expect(await enrollmentCount(paid.id)).toBe(0);
    expect((await (await client.call('GET', '/me/enrollments')).json()) as { total: number }).toMatchObject({
      total: 0,
    });
  });

  it('grants a paid course through the same record when an order calls the repository in its own transaction', async () => {
    const paid = await insertCourse(db(), { instructorId: instructor.id, price: 39_000 });
    const { id: studentId, client } = await signedInUser(server, 'student');
    const repository = new EnrollmentRepository(db());
    // The enrollment points at its order (a foreign key): a paid order row, as the ledger writes it.
    const [order] = await db()
      .insert(orders)
      .values({
        userId: studentId,
        courseId: paid.id,
        status: 'paid',
        listAmount: 39_000,
        amount: 39_000,
        currency: 'KRW',
        paidAt: new Date(),
      })
      .returning({ id: orders.id });
    const orderId = order!.id;
    // What the commerce issue's order flow will do, alongside writing the order in the same transaction.
    const granted = await repository.transaction((tx) =>
      repository.enroll(tx, { userId: studentId, courseId: paid.id, source: 'order', orderId, at: new Date() }),
    );
    expect(granted).toMatchObject({ source: 'order', orderId, status: 'active' });
    expect(await enrollmentCount(paid.id)).toBe(1);
    expect(await server.services.courseAccess.accessOf({ userId: studentId, role: 'student' }, paid.id)).toBe(
      'enrolled',
    );
    // Clicking enroll afterwards says so instead of asking for payment again.
    const again = await client.call('POST', `/courses/${paid.id}/enroll`);
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('already_enrolled');
    const mine = (await (await client.call('GET', '/me/enrollments')).json()) as { items: { course: Card }[] };
    expect(mine.items.map((i) => i.course.id)).toEqual([paid.id]);
  });

  it('answers the one access check: admin, owner, enrolled, and nothing for others or a revoked enrollment', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id, price: 0 });
    const { id: studentId, client } = await signedInUser(server, 'student');
    const access = server.services.courseAccess;
    const student = { userId: studentId, role: 'student' as const };

    expect(await access.accessOf(undefined, course.id)).toBe('none');
    expect(await access.accessOf(student, course.id)).toBe('none');
    expect(await access.accessOf({ userId: instructor.id, role: 'instructor' }, course.id)).toBe('owner');
    expect(await access.accessOf({ userId: studentId, role: 'admin' }, course.id)).toBe('admin');
    expect(await access.accessOf(student, 'not-a-uuid')).toBe('none');

    expect((await client.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    expect(await access.accessOf(student, course.id)).toBe('enrolled');

    // A refund or an admin decision (commerce will call this) ends access at once.
    expect(await server.services.enrollments.revoke(studentId, course.id, 'refunded')).toBe(true);
    expect(await access.accessOf(student, course.id)).toBe('none');
    expect(await server.services.courseAccess.isEnrolled(studentId, course.id)).toBe(false);
    expect(await enrollmentCount(course.id)).toBe(0);
    expect(((await (await client.call('GET', '/me/enrollments')).json()) as { total: number }).total).toBe(0);

    // Enrolling again in the free course brings the same record back.
    expect((await client.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    expect(await access.accessOf(student, course.id)).toBe('enrolled');
    expect(await enrollmentCount(course.id)).toBe(1);
    const rows = await db().select().from(enrollments).where(eq(enrollments.courseId, course.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'active', revokedAt: null });
  });

  it('drops the cached course page when a student enrolls, so the student count is never stale', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id, price: 0 });
    const { client } = await signedInUser(server, 'student');
    const page = async () =>
      ((await (await fetch(`${server.url}/api/v1/courses/${course.slug}`)).json()) as { enrollmentCount: number })
        .enrollmentCount;
    expect(await page()).toBe(0);
    expect(await page()).toBe(0); // now served from the cache
    expect((await client.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    expect(await page()).toBe(1);
    const viewer = (await (await client.call('GET', `/courses/${course.slug}`)).json()) as {
      viewer?: { enrolled: boolean };
    };
    expect(viewer.viewer).toMatchObject({ enrolled: true });
  });

  it('keeps a wishlist: adding or removing twice changes nothing, unpublished courses drop out', async () => {
    const aId = randomUUID();
    const a = await insertCourse(db(), {
      instructorId: instructor.id,
      title: 'Course A',
      price: 10_000,
      extra: { id: aId, coverKey: `covers/${aId}/v1-w1280` },
    });
    const b = await insertCourse(db(), { instructorId: instructor.id, title: 'Course B', price: 0 });
    const draft = await insertCourse(db(), { instructorId: instructor.id, status: 'draft' });
    const { client } = await signedInUser(server, 'student');

    for (const id of [a.id, a.id, b.id]) expect((await client.call('PUT', `/me/wishlist/${id}`)).status).toBe(204);
    const list = async () =>
      (await (await client.call('GET', '/me/wishlist')).json()) as { items: Card[]; total: number };
    let wished = await list();
    expect(wished.total).toBe(2);
    expect(wished.items.map((c) => c.title)).toEqual(['Course B', 'Course A']);
    expect(wished.items[1]).toMatchObject({ isFree: false, price: { amount: 10_000, currency: 'KRW' } });
    // The catalog's own card: the cover comes with its responsive sources.
    expect(wished.items[1]!.cover?.fallback).toBe(`${server.url}/media/covers/${aId}/v1-w1280/640.jpg`);
    expect(wished.items[0]!.cover).toBeNull();

    const unknown = await client.call('PUT', `/me/wishlist/${draft.id}`);
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe('course_not_found');

    for (let i = 0; i < 2; i++) expect((await client.call('DELETE', `/me/wishlist/${a.id}`)).status).toBe(204);
    wished = await list();
    expect(wished.items.map((c) => c.title)).toEqual(['Course B']);

    await db().update(courses).set({ status: 'archived' }).where(eq(courses.id, b.id));
    expect((await list()).total).toBe(0);
  });

  it("exports the student's enrollments and wishlist, and erases the wishlist with the account", async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id, title: '데이터분석 실전', price: 0 });
    const other = await insertCourse(db(), { instructorId: instructor.id, title: 'Wished', price: 5_000 });
    const { id: studentId, client } = await signedInUser(server, 'student');
    expect((await client.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    expect((await client.call('PUT', `/me/wishlist/${other.id}`)).status).toBe(204);

    const exported = (await (await client.call('GET', '/me/export')).json()) as {
      enrollments: { course: { id: string; title: string }; status: string; source: string }[];
      wishlist: { course: { id: string; title: string } }[];
    };
    expect(exported.enrollments).toEqual([
      expect.objectContaining({
        course: { id: course.id, title: '데이터분석 실전' },
        status: 'active',
        source: 'free',
      }),
    ]);
    expect(exported.wishlist).toEqual([expect.objectContaining({ course: { id: other.id, title: 'Wished' } })]);

    expect((await client.call('DELETE', '/me', { password: FIXTURE_PASSWORD })).status).toBe(204);
    expect(await db().select().from(wishlistItems).where(eq(wishlistItems.userId, studentId))).toEqual([]);
    // The enrollment stays (the student count is made of them), pointing at the anonymised account.
    expect(await enrollmentCount(course.id)).toBe(1);
  });
});
