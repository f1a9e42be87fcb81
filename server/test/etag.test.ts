import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/accounts.js';
import { buildCourse, signedInAs, unique } from './support/catalog.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, type TestServer } from './support/servers.js';

/**
 * Conditional GETs (server/src/http/etag.ts): a reader who already holds a catalog page gets an
 * empty 304 instead of the same JSON again, a changed course gets a new tag at once, and nothing
 * personal or non-GET is ever tagged.
 */
describe.each(serverBackends())('conditional GETs [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let ipCounter = 0;
  const ip = () => `10.93.0.${++ipCounter}`;
  let instructor: Awaited<ReturnType<typeof signedInAs>>;
  let course: { id: string; slug: string };
  let categorySlug: string;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({ ...s.env, TRUST_PROXY: 'true' });
    instructor = await signedInAs(server, 'instructor', ip());
    categorySlug = `etag-${unique()}`;
    const category = await server.services.courseAdmin.createCategory({
      slug: categorySlug,
      nameKo: '태그',
      nameEn: 'Tags',
    });
    course = await buildCourse(
      instructor,
      { title: `ETag course ${unique()}`, categoryId: category.id },
      { publish: true },
    );
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/v1${path}`, { headers: { 'x-forwarded-for': ip(), ...headers } });

  it('answers a repeated course page or list request with an empty 304, and a changed course with a new tag', async () => {
    const detailPath = `/courses/${encodeURIComponent(course.slug)}`;
    const listPath = `/courses?category=${categorySlug}`;
    for (const path of [detailPath, listPath]) {
      const first = await get(path);
      expect(first.status).toBe(200);
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      await first.arrayBuffer();

      const again = await get(path, { 'if-none-match': etag! });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
      // A list of tags, or a weak form of ours, matches too (RFC 9110 weak comparison).
      expect((await get(path, { 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
      const stale = await get(path, { 'if-none-match': '"not-this-one"' });
      expect(stale.status).toBe(200);
      expect(stale.headers.get('etag')).toBe(etag);
    }

    const before = (await get(detailPath)).headers.get('etag')!;
    const beforeList = (await get(listPath)).headers.get('etag')!;
    const renamed = `Renamed ${unique()}`;
    expect((await instructor.call('PATCH', `/studio/courses/${course.id}`, { title: renamed })).status).toBe(200);
    for (const [path, old] of [
      [detailPath, before],
      [listPath, beforeList],
    ] as const) {
      const changed = await get(path, { 'if-none-match': old });
      expect(changed.status).toBe(200);
      expect(changed.headers.get('etag')).not.toBe(old);
      expect(await changed.text()).toContain(renamed);
    }
  });

  it('never tags what is personal, uncacheable or not a GET', async () => {
    // A signed-in reader's course page carries their own `viewer` state.
    const own = await instructor.call('GET', `/courses/${encodeURIComponent(course.slug)}`);
    expect(own.status).toBe(200);
    expect(own.headers.get('etag')).toBeNull();
    const me = await instructor.call('GET', '/me');
    expect(me.status).toBe(200);
    expect(me.headers.get('etag')).toBeNull();
    // Lesson content is `private, no-store`.
    const lessonId = (
      (await (await get(`/courses/${encodeURIComponent(course.slug)}`)).json()) as {
        sections: { lessons: { id: string }[] }[];
      }
    ).sections[0]!.lessons[0]!.id;
    const lesson = await get(`/lessons/${lessonId}`);
    expect(lesson.status).toBe(200);
    expect(lesson.headers.get('etag')).toBeNull();
    // Errors and writes are never tagged (nor turned into a 304).
    const missing = await get(`/courses/missing-${unique()}`, { 'if-none-match': '*' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
    const anonymous = new ApiClient(server.url, ip());
    const login = await anonymous.call(
      'POST',
      '/auth/login',
      { email: 'nobody@example.com', password: 'wrong-password' },
      {
        'if-none-match': '*',
      },
    );
    expect(login.status).toBe(401);
    expect(login.headers.get('etag')).toBeNull();
  });
});
