import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courses } from '../src/modules/catalog/schema.js';
import { reviews } from '../src/modules/reviews/schema.js';
import { errorCode, type ApiClient } from './support/accounts.js';
import { FIXTURE_PASSWORD, insertCourse, signedInUser, type FixtureCourse } from './support/course-fixtures.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, type TestServer } from './support/servers.js';

const matrix = serverBackends();

interface Review {
  id: string;
  courseId: string;
  rating: number;
  body: string;
  author: { id: string | null; displayName: string | null; deleted: boolean };
  reply: { body: string; repliedAt: string } | null;
  status: 'visible' | 'hidden';
  edited: boolean;
}
interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

const XSS = '<img src=x onerror=alert(1)> and [a link](javascript:alert(2)) & "quotes"';

describe.each(matrix)('reviews [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let instructor: Awaited<ReturnType<typeof signedInUser>>;
  let admin: Awaited<ReturnType<typeof signedInUser>>;

  const db = () => server.database.primary;
  const rating = async (courseId: string) => {
    const [row] = await db()
      .select({ average: courses.ratingAverage, count: courses.ratingCount })
      .from(courses)
      .where(eq(courses.id, courseId));
    return row!;
  };
  /** A student enrolled in the course through the API, as they would be. */
  async function enrolledStudent(course: FixtureCourse, displayName?: string) {
    const student = await signedInUser(server, 'student', { displayName });
    expect((await student.client.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    return student;
  }
  const post = (client: ApiClient, course: FixtureCourse, body: unknown) =>
    client.call('POST', `/courses/${course.id}/reviews`, body);
  const list = async (course: FixtureCourse, query = '') =>
    (await (await fetch(`${server.url}/api/v1/courses/${course.id}/reviews${query}`)).json()) as Page<Review>;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({ ...s.env, TRUST_PROXY: 'true', SEED_DEMO_DATA: 'false' });
    instructor = await signedInUser(server, 'instructor', { displayName: 'Teacher' });
    admin = await signedInUser(server, 'admin');
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('refuses a student who is not enrolled with 403, accepts an enrolled one, refuses their second review', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id });
    const outsider = await signedInUser(server, 'student');
    const refused = await post(outsider.client, course, { rating: 5, body: 'Great!' });
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('not_enrolled');

    const student = await enrolledStudent(course, 'Jisoo');
    const created = await post(student.client, course, { rating: 4, body: 'Clear and practical.' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      courseId: course.id,
      rating: 4,
      body: 'Clear and practical.',
      author: { id: student.id, displayName: 'Jisoo', deleted: false },
      reply: null,
      status: 'visible',
      edited: false,
    });

    const second = await post(student.client, course, { rating: 1, body: 'Changed my mind' });
    expect(second.status).toBe(409);
    expect(await errorCode(second)).toBe('review_exists');
    expect(await list(course)).toMatchObject({ total: 1, items: [{ rating: 4 }] });
    expect(await rating(course.id)).toEqual({ average: 4, count: 1 });
  });

  it('lets one review through when the same student posts twice at once (the unique index decides)', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id });
    const student = await enrolledStudent(course);
    const results = await Promise.all(
      [1, 2, 3].map((n) => post(student.client, course, { rating: n, body: `try ${n}` })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(await db().select().from(reviews).where(eq(reviews.courseId, course.id))).toHaveLength(1);
    expect((await rating(course.id)).count).toBe(1);
  });

  it('refuses the course owner, a revoked student, and courses that are not published', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id });
    const own = await post(instructor.client, course, { rating: 5, body: 'My own course is the best' });
    expect(own.status).toBe(403);
    expect(await errorCode(own)).toBe('own_course');

    const student = await enrolledStudent(course);
    await server.services.enrollments.revoke(student.id, course.id, 'refunded');
    const revoked = await post(student.client, course, { rating: 1, body: 'Refunded' });
    expect(revoked.status).toBe(403);
    expect(await errorCode(revoked)).toBe('not_enrolled');

    const draft = await insertCourse(db(), { instructorId: instructor.id, status: 'draft' });
    const res = await post(student.client, draft, { rating: 3, body: '' });
    expect(res.status).toBe(404);
    expect((await fetch(`${server.url}/api/v1/courses/${draft.id}/reviews`)).status).toBe(404);
  });

  it('validates the rating and the length of the text', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id });
    const student = await enrolledStudent(course);
    for (const body of [{ rating: 0 }, { rating: 6 }, { rating: 3.5 }, { rating: 5, body: 'x'.repeat(5001) }]) {
      const res = await post(student.client, course, body);
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(await errorCode(res)).toBe('validation_failed');
    }
    expect((await post(student.client, course, { rating: 5, body: 'x'.repeat(5000) })).status).toBe(201);
  });

  it('stores and returns the text exactly as written, markup included', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id });
    const student = await enrolledStudent(course);
    const created = (await (await post(student.client, course, { rating: 3, body: XSS })).json()) as Review;
    expect(created.body).toBe(XSS);
    expect((await list(course)).items[0]!.body).toBe(XSS);
    const [row] = await db().select({ body: reviews.body }).from(reviews).where(eq(reviews.id, created.id));
    expect(row!.body).toBe(XSS);
  });

  it('keeps the average and count right through create, edit, hide and unhide', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id });
    const [a, b, c] = await Promise.all([enrolledStudent(course), enrolledStudent(course), enrolledStudent(course)]);
    // The course page is cached (10 min); every review write must drop it so the page shows the new rating.
    const page = async () =>
      (await (await fetch(`${server.url}/api/v1/courses/${course.slug}`)).json()) as {
        rating: { average: number; count: number };
        ratingDistribution: Record<string, number>;
      };
    expect((await page()).rating).toEqual({ average: 0, count: 0 });
    // Written at the same moment: each recompute must still see the others' reviews.
    const created = await Promise.all([
      post(a!.client, course, { rating: 5, body: 'a' }),
      post(b!.client, course, { rating: 4, body: 'b' }),
      post(c!.client, course, { rating: 2, body: 'c' }),
    ]);
    expect(created.map((r) => r.status)).toEqual([201, 201, 201]);
    const [ra, , rc] = (await Promise.all(created.map((r) => r.json()))) as Review[];
    expect(await rating(course.id)).toEqual({ average: 3.67, count: 3 });
    expect(await page()).toMatchObject({
      rating: { average: 3.67, count: 3 },
      ratingDistribution: { 1: 0, 2: 1, 3: 0, 4: 1, 5: 1 },
    });

    const edited = await c!.client.call('PATCH', `/reviews/${rc!.id}`, { rating: 5, body: 'Better after the update' });
    expect(edited.status).toBe(200);
    expect(await edited.json()).toMatchObject({ rating: 5, body: 'Better after the update' });
    expect(await rating(course.id)).toEqual({ average: 4.67, count: 3 });

    const hidden = await admin.client.call('POST', `/admin/reviews/${ra!.id}/hide`, { reason: 'Spam link' });
    expect(hidden.status).toBe(200);
    expect(await hidden.json()).toMatchObject({ status: 'hidden', hiddenReason: 'Spam link' });
    expect(await rating(course.id)).toEqual({ average: 4.5, count: 2 });
    expect(await page()).toMatchObject({
      rating: { average: 4.5, count: 2 },
      ratingDistribution: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 1 },
    });
    const visible = await list(course);
    expect(visible.total).toBe(2);
    expect(visible.items.map((r) => r.id)).not.toContain(ra!.id);
    // The author still sees it, marked hidden, to understand what happened.
    expect(await (await a!.client.call('GET', `/courses/${course.id}/reviews/mine`)).json()).toMatchObject({
      review: { id: ra!.id, status: 'hidden' },
    });
    // Someone without a review gets null, not an error every course page would log.
    const stranger = await enrolledStudent(course);
    const none = await stranger.client.call('GET', `/courses/${course.id}/reviews/mine`);
    expect([none.status, await none.json()]).toEqual([200, { review: null }]);

    const shown = await admin.client.call('POST', `/admin/reviews/${ra!.id}/unhide`);
    expect(shown.status).toBe(200);
    expect(await rating(course.id)).toEqual({ average: 4.67, count: 3 });
    expect((await list(course)).total).toBe(3);
  });

  it('lets only the author edit, and only the course instructor reply', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id });
    const author = await enrolledStudent(course);
    const other = await enrolledStudent(course);
    const otherInstructor = await signedInUser(server, 'instructor');
    const review = (await (await post(author.client, course, { rating: 2, body: 'Too fast' })).json()) as Review;

    for (const client of [other.client, instructor.client, admin.client]) {
      const res = await client.call('PATCH', `/reviews/${review.id}`, { rating: 5 });
      expect(res.status).toBe(403);
    }
    const edited = (await (
      await author.client.call('PATCH', `/reviews/${review.id}`, { body: 'A bit fast' })
    ).json()) as Review;
    expect(edited).toMatchObject({ rating: 2, body: 'A bit fast', edited: true });
    expect(review.edited).toBe(false);

    for (const client of [author.client, otherInstructor.client, admin.client]) {
      const res = await client.call('PUT', `/reviews/${review.id}/reply`, { body: 'Thanks' });
      expect(res.status).toBe(403);
    }
    const replied = await instructor.client.call('PUT', `/reviews/${review.id}/reply`, {
      body: '<b>Thanks</b>, slowing down',
    });
    expect(replied.status).toBe(200);
    expect(((await replied.json()) as Review).reply?.body).toBe('<b>Thanks</b>, slowing down');
    expect((await list(course)).items[0]!.reply?.body).toBe('<b>Thanks</b>, slowing down');
    const anonymous = await fetch(`${server.url}/api/v1/reviews/${review.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rating: 5 }),
    });
    expect(anonymous.status).toBe(401);
  });

  it('pages and sorts the list', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id });
    for (const stars of [3, 5, 1]) {
      const s = await enrolledStudent(course);
      expect((await post(s.client, course, { rating: stars, body: `${stars} stars` })).status).toBe(201);
    }
    expect((await list(course)).items.map((r) => r.rating)).toEqual([1, 5, 3]);
    expect((await list(course, '?sort=highest')).items.map((r) => r.rating)).toEqual([5, 3, 1]);
    expect((await list(course, '?sort=lowest')).items.map((r) => r.rating)).toEqual([1, 3, 5]);
    const second = await list(course, '?sort=highest&page=2&pageSize=2');
    expect(second).toMatchObject({ total: 3, page: 2, pageSize: 2 });
    expect(second.items.map((r) => r.rating)).toEqual([1]);
  });

  it('takes a report once per user, lists it to admins only, and settles it when the review is hidden', async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id });
    const author = await enrolledStudent(course);
    const reporter = await signedInUser(server, 'student');
    const review = (await (
      await post(author.client, course, { rating: 1, body: 'Buy followers at spam.example' })
    ).json()) as Review;

    const reported = await reporter.client.call('POST', `/reviews/${review.id}/report`, { reason: 'Spam' });
    expect(reported.status).toBe(204);
    const twice = await reporter.client.call('POST', `/reviews/${review.id}/report`, { reason: 'Spam again' });
    expect(twice.status).toBe(409);
    expect(await errorCode(twice)).toBe('already_reported');

    expect((await reporter.client.call('GET', '/admin/reviews/reports')).status).toBe(403);
    const open = (await (await admin.client.call('GET', '/admin/reviews/reports?pageSize=50')).json()) as Page<{
      reason: string;
      review: { id: string; body: string };
      course: { id: string };
    }>;
    expect(open.items.find((r) => r.review.id === review.id)).toMatchObject({
      reason: 'Spam',
      course: { id: course.id },
      review: { body: 'Buy followers at spam.example' },
    });

    expect((await admin.client.call('POST', `/admin/reviews/${review.id}/hide`, { reason: 'Spam' })).status).toBe(200);
    const after = (await (await admin.client.call('GET', '/admin/reviews/reports?pageSize=50')).json()) as Page<{
      review: { id: string };
    }>;
    expect(after.items.map((r) => r.review.id)).not.toContain(review.id);
    // A hidden review cannot be reported again by others: to them it does not exist.
    const other = await signedInUser(server, 'student');
    expect((await other.client.call('POST', `/reviews/${review.id}/report`, { reason: 'x' })).status).toBe(404);
  });

  it("exports the user's reviews, and shows them anonymised after the account is deleted, rating unchanged", async () => {
    const course = await insertCourse(db(), { instructorId: instructor.id, title: 'SQL 첫걸음' });
    const student = await enrolledStudent(course, '민지');
    const review = (await (await post(student.client, course, { rating: 5, body: '최고예요' })).json()) as Review;

    const exported = (await (await student.client.call('GET', '/me/export')).json()) as {
      reviews: { id: string; course: { title: string }; rating: number; body: string }[];
    };
    expect(exported.reviews).toEqual([
      expect.objectContaining({
        id: review.id,
        course: { id: course.id, slug: course.slug, title: 'SQL 첫걸음' },
        rating: 5,
        body: '최고예요',
      }),
    ]);

    expect((await student.client.call('DELETE', '/me', { password: FIXTURE_PASSWORD })).status).toBe(204);
    const [shown] = (await list(course)).items;
    expect(shown).toMatchObject({
      id: review.id,
      body: '최고예요',
      author: { id: null, displayName: null, deleted: true },
    });
    expect(await rating(course.id)).toEqual({ average: 5, count: 1 });
  });
});
