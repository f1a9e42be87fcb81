import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CatalogRepository } from '../src/modules/catalog/repository.js';
import { ApiClient, errorCode } from './support/accounts.js';
import { buildCourse, json, sendRaw, signedInAs, testImage, unique } from './support/catalog.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, type TestServer } from './support/servers.js';

const matrix = serverBackends();

interface Card {
  id: string;
  slug: string;
  title: string;
  cover: { sources: { type: string; srcset: string }[] } | null;
}
interface Paged<T> {
  items: T[];
  total: number;
}
interface CategoryNode {
  slug: string;
  courseCount: number;
  children: { slug: string; courseCount: number }[];
}
interface Detail {
  id: string;
  slug: string;
  title: string;
  status: string;
  sections: { title: string; lessons: { id: string; title: string; isFreePreview: boolean }[] }[];
  lessonCount: number;
  totalDurationSeconds: number;
  instructor: { id: string; courseCount: number };
  viewer?: { enrolled: boolean; wishlisted: boolean; isOwner: boolean };
}

describe.each(matrix)('public catalog [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let ipCounter = 0;
  const ip = () => `10.20.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;
  const anonymous = () => new ApiClient(server.url, ip());
  let instructor: Awaited<ReturnType<typeof signedInAs>>;
  let admin: Awaited<ReturnType<typeof signedInAs>>;
  let categoryId: string;
  /** A fresh top category with one subcategory, so each test counts only its own courses. */
  async function categories() {
    const slug = `cat-${unique()}`;
    const top = await server.services.courseAdmin.createCategory({ slug, nameKo: '프로그래밍', nameEn: 'Programming' });
    const child = await server.services.courseAdmin.createCategory({
      slug: `${slug}-py`,
      nameKo: '파이썬',
      nameEn: 'Python',
      parentSlug: slug,
    });
    return { top, child };
  }
  async function categoryTree(): Promise<CategoryNode[]> {
    return (await json<{ items: CategoryNode[] }>(await anonymous().call('GET', '/categories'))).items;
  }

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({ ...s.env, TRUST_PROXY: 'true' });
    instructor = await signedInAs(server, 'instructor', ip(), '김강사');
    admin = await signedInAs(server, 'admin', ip());
    categoryId = (await categories()).child.id;
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('shows a published course in its category list, page and counts, and an edit on the very next request', async () => {
    const { top, child } = await categories();
    const course = await buildCourse(
      instructor,
      { title: `입문자를 위한 파이썬 ${unique()}`, categoryId: child.id },
      { sections: 2, lessons: 2, publish: true },
    );
    const draft = await buildCourse(instructor, { title: `Draft ${unique()}`, categoryId: child.id });
    const c = anonymous();

    // Warm every cache that shows the course.
    const list = await json<Paged<Card>>(await c.call('GET', `/courses?category=${top.slug}`));
    expect(list.items.map((i) => i.id)).toEqual([course.id]);
    expect(list.total).toBe(1);
    const page = await c.call('GET', `/courses/${encodeURIComponent(course.slug)}`);
    expect(page.status).toBe(200);
    const detail = await json<Detail>(page);
    expect(detail.slug).toMatch(/^입문자를-위한-파이썬-/);
    expect(detail.sections.map((s) => s.title)).toEqual(['Section 1', 'Section 2']);
    expect(detail.lessonCount).toBe(4);
    expect(detail.totalDurationSeconds).toBe(2 * (60 + 120));
    expect(detail.viewer).toBeUndefined();
    const tree = await categoryTree();
    const node = tree.find((n) => n.slug === top.slug)!;
    expect(node.courseCount).toBe(1);
    expect(node.children).toEqual([expect.objectContaining({ slug: child.slug, courseCount: 1 })]);

    // A draft is on no list and has no public page.
    expect((await c.call('GET', `/courses/${encodeURIComponent(draft.slug)}`)).status).toBe(404);

    // Edit the title: the next request shows it everywhere, though all three were cached.
    const renamed = `데이터분석 실전 ${unique()}`;
    expect((await instructor.call('PATCH', `/studio/courses/${course.id}`, { title: renamed })).status).toBe(200);
    expect((await json<Detail>(await c.call('GET', `/courses/${encodeURIComponent(course.slug)}`))).title).toBe(
      renamed,
    );
    expect((await json<Paged<Card>>(await c.call('GET', `/courses?category=${child.slug}`))).items[0]!.title).toBe(
      renamed,
    );
    expect((await json<Paged<Card>>(await c.call('GET', `/courses?category=${top.slug}`))).items[0]!.title).toBe(
      renamed,
    );
    // Search was rebuilt in the same transaction as the edit.
    const token = renamed.split(' ').at(-1)!;
    const found = await json<Paged<Card>>(await c.call('GET', `/search?q=${encodeURIComponent(`실전 ${token}`)}`));
    expect(found.items.map((i) => [i.id, i.title])).toContainEqual([course.id, renamed]);

    // Publishing the draft and unpublishing the first move the counts at once.
    await sendRaw(instructor, 'PUT', `/studio/courses/${draft.id}/cover`, await testImage(800, 450), 'image/jpeg');
    expect((await instructor.call('POST', `/studio/courses/${draft.id}/publish`)).status).toBe(200);
    expect((await categoryTree()).find((n) => n.slug === top.slug)!.courseCount).toBe(2);
    expect((await instructor.call('POST', `/studio/courses/${course.id}/unpublish`)).status).toBe(200);
    expect((await categoryTree()).find((n) => n.slug === top.slug)!.courseCount).toBe(1);
    const after = await json<Paged<Card>>(await c.call('GET', `/courses?category=${top.slug}`));
    expect(after.items.map((i) => i.id)).toEqual([draft.id]);

    // Unpublished: gone for the public, still there for its owner and admins.
    expect((await c.call('GET', `/courses/${encodeURIComponent(course.slug)}`)).status).toBe(404);
    const own = await instructor.call('GET', `/courses/${encodeURIComponent(course.slug)}`);
    expect(own.status).toBe(200);
    expect(await json<Detail>(own)).toMatchObject({ status: 'draft', viewer: { isOwner: true, enrolled: false } });
    expect((await admin.call('GET', `/courses/${encodeURIComponent(course.slug)}`)).status).toBe(200);
    const other = await signedInAs(server, 'instructor', ip());
    expect((await other.call('GET', `/courses/${encodeURIComponent(course.slug)}`)).status).toBe(404);
  });

  it('loads a course page once for a burst of concurrent requests after an edit', async () => {
    const course = await buildCourse(instructor, { title: `Burst ${unique()}`, categoryId }, { publish: true });
    const c = anonymous();
    const path = `/courses/${encodeURIComponent(course.slug)}`;
    expect((await c.call('GET', path)).status).toBe(200);
    // The edit renews the cached page, so the burst below starts with a miss.
    await instructor.call('PATCH', `/studio/courses/${course.id}`, { subtitle: 'Now with more' });

    // A slow database widens the window in which the requests overlap.
    const slow = <A extends unknown[], R>(original: (...args: A) => Promise<R>) =>
      async function (this: CatalogRepository, ...args: A): Promise<R> {
        await new Promise((r) => setTimeout(r, 150));
        return original.apply(this, args);
      };
    const { courseDetailBySlug, pagePublished } = CatalogRepository.prototype;
    const detailLoads = vi
      .spyOn(CatalogRepository.prototype, 'courseDetailBySlug')
      .mockImplementation(slow(courseDetailBySlug));
    const pages = await Promise.all(Array.from({ length: 25 }, () => c.call('GET', path)));
    expect(pages.map((p) => p.status)).toEqual(Array(25).fill(200));
    for (const p of pages) expect((await json<{ subtitle: string }>(p)).subtitle).toBe('Now with more');
    expect(detailLoads).toHaveBeenCalledTimes(1);
    // And then from the cache, without the database.
    await c.call('GET', path);
    expect(detailLoads).toHaveBeenCalledTimes(1);

    const listLoads = vi.spyOn(CatalogRepository.prototype, 'pagePublished').mockImplementation(slow(pagePublished));
    const lists = await Promise.all(Array.from({ length: 25 }, () => c.call('GET', '/courses?sort=rating&pageSize=7')));
    expect(lists.map((l) => l.status)).toEqual(Array(25).fill(200));
    expect(listLoads).toHaveBeenCalledTimes(1);
  });

  it('answers the signed-in reader with their own state, never another reader’s', async () => {
    const course = await buildCourse(instructor, { title: `Viewer ${unique()}`, categoryId }, { publish: true });
    const path = `/courses/${encodeURIComponent(course.slug)}`;
    const student = await signedInAs(server, 'student', ip());
    expect((await json<Detail>(await instructor.call('GET', path))).viewer).toEqual({
      enrolled: false,
      wishlisted: false,
      isOwner: true,
    });
    expect((await student.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    expect((await json<Detail>(await student.call('GET', path))).viewer).toEqual({
      enrolled: true,
      wishlisted: false,
      isOwner: false,
    });
    expect((await json<Detail>(await anonymous().call('GET', path))).viewer).toBeUndefined();
    const stranger = await signedInAs(server, 'student', ip());
    expect((await json<Detail>(await stranger.call('GET', path))).viewer).toMatchObject({ enrolled: false });
    // A token that is sent must be valid: the client then refreshes instead of seeing less.
    const broken = anonymous();
    broken.accessToken = 'not-a-token';
    expect((await broken.call('GET', path)).status).toBe(401);
  });

  it('opens free previews to anyone and the rest of a lesson only to those with access', async () => {
    const course = await buildCourse(
      instructor,
      { title: `Lessons ${unique()}`, categoryId },
      { lessons: 2, publish: true },
    );
    const [preview, paid] = course.lessonIds as [string, string];
    const c = anonymous();

    const open = await c.call('GET', `/lessons/${preview}`);
    expect(open.status).toBe(200);
    expect(await json<{ body: string; attachments: unknown[] }>(open)).toMatchObject({
      body: 'Body of lesson 1.1',
      attachments: [],
    });

    const anon = await c.call('GET', `/lessons/${paid}`);
    expect(anon.status).toBe(401);
    const student = await signedInAs(server, 'student', ip());
    const refused = await student.call('GET', `/lessons/${paid}`);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('not_enrolled');
    expect((await instructor.call('GET', `/lessons/${paid}`)).status).toBe(200);
    expect((await admin.call('GET', `/lessons/${paid}`)).status).toBe(200);

    expect((await student.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    const enrolled = await student.call('GET', `/lessons/${paid}`);
    expect(enrolled.status).toBe(200);
    expect((await json<{ body: string }>(enrolled)).body).toBe('Body of lesson 1.2');

    // Unpublished: enrolled students keep access; the preview is no longer public.
    await instructor.call('POST', `/studio/courses/${course.id}/unpublish`);
    expect((await student.call('GET', `/lessons/${paid}`)).status).toBe(200);
    expect((await c.call('GET', `/lessons/${preview}`)).status).toBe(404);
    expect((await c.call('GET', `/lessons/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });

  it('hands out a five-minute signed link to an attachment: owner and enrolled yes, others no', async () => {
    const course = await buildCourse(
      instructor,
      { title: `Files ${unique()}`, categoryId },
      { lessons: 2, publish: true },
    );
    const lessonId = course.lessonIds[1]!;
    const bytes = Buffer.from('%PDF-1.4 slides of lesson two\n'.repeat(100));
    const uploaded = await sendRaw(
      instructor,
      'POST',
      `/studio/lessons/${lessonId}/attachments?fileName=${encodeURIComponent('강의 자료.pdf')}`,
      bytes,
      'application/pdf',
    );
    expect(uploaded.status).toBe(201);
    const attachment = await json<{ id: string; fileName: string; sizeBytes: number; contentType: string }>(uploaded);
    expect(attachment).toMatchObject({
      fileName: '강의 자료.pdf',
      sizeBytes: bytes.length,
      contentType: 'application/pdf',
    });
    const download = `/lessons/${lessonId}/attachments/${attachment.id}/download`;

    const link = await instructor.call('GET', download);
    expect(link.status).toBe(200);
    const { url, expiresAt } = await json<{ url: string; expiresAt: string }>(link);
    const lifetime = new Date(expiresAt).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(280_000);
    expect(lifetime).toBeLessThanOrEqual(300_000);
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(bytes)).toBe(true);
    expect(file.headers.get('content-disposition')).toContain("filename*=UTF-8''%EA%B0%95");

    const student = await signedInAs(server, 'student', ip());
    const refused = await student.call('GET', download);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('not_enrolled');
    expect((await anonymous().call('GET', download)).status).toBe(401);
    // An enrollment row is what grants it.
    expect((await student.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    expect((await student.call('GET', download)).status).toBe(200);
    const lesson = await json<{ attachments: { id: string }[] }>(await student.call('GET', `/lessons/${lessonId}`));
    expect(lesson.attachments.map((a) => a.id)).toEqual([attachment.id]);
    // The attachment belongs to its lesson: another lesson's path does not reach it.
    const wrong = await instructor.call('GET', `/lessons/${course.lessonIds[0]}/attachments/${attachment.id}/download`);
    expect(wrong.status).toBe(404);
    expect(await errorCode(wrong)).toBe('attachment_not_found');
  });

  it('lists an instructor’s published courses with totals on their page', async () => {
    const teacher = await signedInAs(server, 'instructor', ip(), 'Prof. Page');
    const a = await buildCourse(teacher, { title: `Page A ${unique()}`, categoryId }, { publish: true });
    await buildCourse(teacher, { title: `Page B draft ${unique()}`, categoryId });
    const res = await anonymous().call('GET', `/instructors/${teacher.userId}`);
    expect(res.status).toBe(200);
    const body = await json<{ displayName: string; courses: Card[]; stats: { courseCount: number } }>(res);
    expect(body.displayName).toBe('Prof. Page');
    expect(body.courses.map((c) => c.id)).toEqual([a.id]);
    expect(body.stats.courseCount).toBe(1);
    expect(body.courses[0]!.cover?.sources.map((s) => s.type)).toEqual(['image/webp', 'image/jpeg']);
    const student = await signedInAs(server, 'student', ip());
    expect((await anonymous().call('GET', `/instructors/${student.userId}`)).status).toBe(404);
  });

  it('refuses bad list parameters with codes', async () => {
    const c = anonymous();
    const unknown = await c.call('GET', `/courses?category=no-such-${unique()}`);
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe('category_not_found');
    const tooBig = await c.call('GET', '/courses?pageSize=51');
    expect(tooBig.status).toBe(400);
    expect(await errorCode(tooBig)).toBe('validation_failed');
    expect(await errorCode(await c.call('GET', '/courses?sort=cheapest'))).toBe('validation_failed');
  });
});
