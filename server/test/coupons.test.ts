import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coupons } from '../src/modules/payments/schema.js';
import type { ApiClient } from './support/accounts.js';
import { errorCode } from './support/accounts.js';
import { json, signedInAs, unique } from './support/catalog.js';
import { insertCourse, type FixtureCourse } from './support/course-fixtures.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, type TestServer } from './support/servers.js';

type Client = ApiClient & { userId: string };

interface Coupon {
  id: string;
  code: string;
  kind: 'percent' | 'fixed';
  percentOff: number | null;
  amountOff: number | null;
  currency: 'KRW' | 'USD' | null;
  course: { id: string; title: string } | null;
  expiresAt: string | null;
  maxUses: number | null;
  usedCount: number;
  active: boolean;
}
interface Page<T> {
  items: T[];
  total: number;
}

describe.each(serverBackends())('coupons [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let ipCounter = 0;
  const ip = () => `10.71.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;
  let instructor: Client;
  let otherInstructor: Client;
  let admin: Client;
  let student: Client;
  let course: FixtureCourse;
  let otherCourse: FixtureCourse;

  const create = (client: ApiClient, body: Record<string, unknown>) => client.call('POST', '/studio/coupons', body);
  const couponRow = async (id: string) =>
    (await server.database.primary.select().from(coupons).where(eq(coupons.id, id)))[0]!;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    // Each student calls from its own address (behind the trusted proxy), as separate people would.
    server = await startTestServer({ ...s.env, SEED_DEMO_DATA: 'false', TRUST_PROXY: 'true' });
    [instructor, otherInstructor, admin, student] = await Promise.all([
      signedInAs(server, 'instructor', ip()),
      signedInAs(server, 'instructor', ip()),
      signedInAs(server, 'admin', ip()),
      signedInAs(server, 'student', ip()),
    ]);
    const db = server.database.primary;
    course = await insertCourse(db, { instructorId: instructor.userId, price: 30_000, title: 'Coupon course' });
    otherCourse = await insertCourse(db, { instructorId: otherInstructor.userId, price: 20_000 });
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('lets an instructor make a coupon for their course, its code stored upper-case and taken once', async () => {
    const code = `spring-${unique()}`;
    const res = await create(instructor, {
      code,
      kind: 'percent',
      percentOff: 20,
      courseId: course.id,
      maxUses: 5,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(res.status).toBe(201);
    const { coupon } = await json<{ coupon: Coupon }>(res);
    expect(coupon).toMatchObject({
      code: code.toUpperCase(),
      kind: 'percent',
      percentOff: 20,
      amountOff: null,
      currency: null,
      course: { id: course.id, title: 'Coupon course' },
      maxUses: 5,
      usedCount: 0,
      active: true,
    });

    // The same code in another case is the same code, whoever asks.
    const taken = await create(admin, { code: code.toLowerCase(), kind: 'percent', percentOff: 5, courseId: null });
    expect(taken.status).toBe(409);
    expect(await errorCode(taken)).toBe('coupon_code_taken');

    const fixed = await create(instructor, {
      code: `flat_${unique()}`,
      kind: 'fixed',
      amountOff: 5000,
      currency: 'KRW',
      courseId: course.id,
    });
    expect(fixed.status).toBe(201);
    expect((await json<{ coupon: Coupon }>(fixed)).coupon).toMatchObject({
      kind: 'fixed',
      amountOff: 5000,
      currency: 'KRW',
      percentOff: null,
      maxUses: null,
    });
  });

  it('refuses what a coupon cannot be, and what the caller may not create', async () => {
    const base = { code: `bad-${unique()}`, courseId: course.id };
    const refusals: [ApiClient, Record<string, unknown>, number, string, string?][] = [
      [instructor, { ...base, kind: 'percent', percentOff: 0 }, 400, 'validation_failed'],
      [instructor, { ...base, kind: 'percent', percentOff: 101 }, 400, 'validation_failed'],
      [instructor, { ...base, code: 'ab', kind: 'percent', percentOff: 10 }, 400, 'validation_failed'],
      [instructor, { ...base, code: 'no spaces', kind: 'percent', percentOff: 10 }, 400, 'validation_failed'],
      [instructor, { ...base, kind: 'fixed', amountOff: 0, currency: 'KRW' }, 400, 'validation_failed'],
      [instructor, { ...base, kind: 'percent' }, 422, 'coupon_input_invalid', 'percent_off_invalid'],
      [instructor, { ...base, kind: 'fixed', amountOff: 1000 }, 422, 'coupon_input_invalid', 'currency_required'],
      [
        instructor,
        { ...base, kind: 'fixed', amountOff: 1000, currency: 'KRW', percentOff: 10 },
        422,
        'coupon_input_invalid',
        'percent_off_not_allowed',
      ],
      [
        instructor,
        { ...base, kind: 'fixed', amountOff: 1000, currency: 'USD' },
        422,
        'coupon_input_invalid',
        'currency_mismatch',
      ],
      [
        instructor,
        { ...base, kind: 'percent', percentOff: 10, expiresAt: new Date(Date.now() - 1000).toISOString() },
        422,
        'coupon_input_invalid',
        'expires_in_past',
      ],
      // Site-wide coupons are the admins'; another instructor's course is not theirs to discount.
      [instructor, { ...base, kind: 'percent', percentOff: 10, courseId: null }, 403, 'forbidden'],
      [instructor, { ...base, kind: 'percent', percentOff: 10, courseId: otherCourse.id }, 403, 'forbidden'],
      [student, { ...base, kind: 'percent', percentOff: 10 }, 403, 'forbidden'],
    ];
    for (const [client, body, status, code, reason] of refusals) {
      const res = await create(client, body);
      const answer = (await res.json()) as { error: { code: string; details?: { reason?: string } } };
      expect(
        { status: res.status, code: answer.error.code, reason: answer.error.details?.reason },
        JSON.stringify(body),
      ).toEqual({
        status,
        code,
        reason,
      });
    }
  });

  it('lists an instructor only their courses’ coupons, and an admin every coupon, site-wide ones included', async () => {
    const mine = (
      await json<{ coupon: Coupon }>(
        await create(instructor, { code: `mine-${unique()}`, kind: 'percent', percentOff: 10, courseId: course.id }),
      )
    ).coupon;
    const theirs = (
      await json<{ coupon: Coupon }>(
        await create(otherInstructor, {
          code: `theirs-${unique()}`,
          kind: 'percent',
          percentOff: 10,
          courseId: otherCourse.id,
        }),
      )
    ).coupon;
    const siteWide = await create(admin, { code: `site-${unique()}`, kind: 'percent', percentOff: 15, courseId: null });
    expect(siteWide.status).toBe(201);
    const site = (await json<{ coupon: Coupon }>(siteWide)).coupon;
    expect(site.course).toBeNull();

    const listed = await json<Page<Coupon>>(await instructor.call('GET', '/studio/coupons?pageSize=50'));
    const ids = listed.items.map((c) => c.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    expect(ids).not.toContain(site.id);
    expect(listed.items.every((c) => c.course?.id === course.id)).toBe(true);

    const all = await json<Page<Coupon>>(await admin.call('GET', '/studio/coupons?pageSize=50'));
    expect(all.items.map((c) => c.id)).toEqual(expect.arrayContaining([mine.id, theirs.id, site.id]));
    const filtered = await json<Page<Coupon>>(await admin.call('GET', `/studio/coupons?courseId=${otherCourse.id}`));
    expect(filtered.items.map((c) => c.id)).toEqual([theirs.id]);
    expect(filtered.total).toBe(1);

    expect((await student.call('GET', '/studio/coupons')).status).toBe(403);
  });

  it('updates active, expiry and limit, never below the uses made, only by its course’s instructor or an admin', async () => {
    const { coupon } = await json<{ coupon: Coupon }>(
      await create(instructor, {
        code: `edit-${unique()}`,
        kind: 'percent',
        percentOff: 10,
        courseId: course.id,
        maxUses: 5,
      }),
    );
    await server.database.primary.update(coupons).set({ usedCount: 3 }).where(eq(coupons.id, coupon.id));

    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const patched = await instructor.call('PATCH', `/studio/coupons/${coupon.id}`, { active: false, expiresAt });
    expect(patched.status).toBe(200);
    expect((await json<{ coupon: Coupon }>(patched)).coupon).toMatchObject({ active: false, expiresAt, usedCount: 3 });

    const tooLow = await instructor.call('PATCH', `/studio/coupons/${coupon.id}`, { maxUses: 2 });
    expect(tooLow.status).toBe(422);
    expect(await errorCode(tooLow)).toBe('coupon_max_uses_too_low');
    expect((await couponRow(coupon.id)).maxUses).toBe(5);

    const exact = await admin.call('PATCH', `/studio/coupons/${coupon.id}`, { maxUses: 3, expiresAt: null });
    expect((await json<{ coupon: Coupon }>(exact)).coupon).toMatchObject({
      maxUses: 3,
      expiresAt: null,
      active: false,
    });
    const unlimited = await instructor.call('PATCH', `/studio/coupons/${coupon.id}`, { maxUses: null, active: true });
    expect((await json<{ coupon: Coupon }>(unlimited)).coupon).toMatchObject({ maxUses: null, active: true });

    const foreign = await otherInstructor.call('PATCH', `/studio/coupons/${coupon.id}`, { active: false });
    expect(foreign.status).toBe(403);
    expect((await couponRow(coupon.id)).active).toBe(true);
    const missing = await admin.call('PATCH', '/studio/coupons/00000000-0000-4000-8000-000000000000', {
      active: false,
    });
    expect(missing.status).toBe(404);
  });

  it('gives a 10-use coupon to exactly 10 of 50 students buying at once, and a cancelled order frees its use', async () => {
    const code = `RUSH${unique()}`.toUpperCase();
    const created = await create(instructor, {
      code,
      kind: 'percent',
      percentOff: 50,
      courseId: course.id,
      maxUses: 10,
    });
    expect(created.status).toBe(201);
    const couponId = (await json<{ coupon: Coupon }>(created)).coupon.id;

    const students = await Promise.all(Array.from({ length: 51 }, () => signedInAs(server, 'student', ip())));
    const latecomer = students.pop()!;
    const answers = await Promise.all(
      students.map(async (s) => {
        const res = await s.call('POST', '/orders', { courseId: course.id, couponCode: code.toLowerCase() });
        const body = (await res.json()) as {
          order?: { id: string; amount: number; discountAmount: number; couponCode: string };
          error?: { code: string; details?: { reason?: string } };
        };
        return { student: s, status: res.status, body };
      }),
    );
    const won = answers.filter((a) => a.status === 201);
    const lost = answers.filter((a) => a.status !== 201);
    expect(won).toHaveLength(10);
    expect(lost).toHaveLength(40);
    for (const a of lost) {
      expect(a.status).toBe(422);
      expect(a.body.error).toMatchObject({ code: 'coupon_invalid', details: { reason: 'exhausted' } });
    }
    for (const a of won)
      expect(a.body.order).toMatchObject({ amount: 15_000, discountAmount: 15_000, couponCode: code });
    expect((await couponRow(couponId)).usedCount).toBe(10);

    // Used up for the next student too…
    const refused = await latecomer.call('POST', '/orders', { courseId: course.id, couponCode: code });
    expect(refused.status).toBe(422);
    // …until one of the ten cancels: the use goes back and the next student gets it.
    const cancelled = await won[0]!.student.call('POST', `/orders/${won[0]!.body.order!.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect((await couponRow(couponId)).usedCount).toBe(9);
    const second = await latecomer.call('POST', '/orders', { courseId: course.id, couponCode: code });
    expect(second.status).toBe(201);
    expect((await couponRow(couponId)).usedCount).toBe(10);
  });
});
