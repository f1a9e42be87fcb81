import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { ViewCountRepository } from '../src/modules/analytics/repository.js';
import { ViewCounterService, type Viewer, type ViewCountStore } from '../src/modules/analytics/service.js';
import { courses } from '../src/modules/catalog/schema.js';
import { users } from '../src/modules/users/schema.js';
import { MemoryCache } from '../src/platform/cache/memory.js';
import type { CachePort } from '../src/platform/cache/port.js';
import { RedisCache } from '../src/platform/cache/redis.js';
import type { Db } from '../src/platform/db/port.js';
import { ApiClient } from './support/accounts.js';
import { createTestDatabase, DATABASE_BACKENDS, serverBackends, type TestDatabase } from './support/databases.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function viewCounts(db: Db, ids: string[]): Promise<Record<string, number>> {
  const rows = await db
    .select({ id: courses.id, views: courses.viewCount })
    .from(courses)
    .where(inArray(courses.id, ids));
  return Object.fromEntries(rows.map((r) => [r.id, r.views]));
}

/** The flush's crash points, played out against the real database and cache. */
describe.each(DATABASE_BACKENDS)('view counters and their flush [%s]', (backend) => {
  let database: TestDatabase;
  let cache: CachePort;
  let db: Db;
  let repository: ViewCountRepository;
  let published: string[];
  let draft: string;

  const anonymous = (id: string, newlyIssued = false): Viewer => ({
    kind: 'anonymous',
    anonymousId: id.padEnd(24, 'x'),
    ip: '10.0.0.1',
    newlyIssued,
  });

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    db = database.port.primary;
    repository = new ViewCountRepository(db, db);
    const [instructor] = await db
      .insert(users)
      .values({ email: `i-${randomUUID()}@example.com`, passwordHash: 'x', displayName: 'I', role: 'instructor' })
      .returning({ id: users.id });
    const rows = await db
      .insert(courses)
      .values(
        ['published', 'published', 'draft'].map((status, i) => ({
          instructorId: instructor!.id,
          slug: `views-${i}-${randomUUID()}`,
          title: `Course ${i}`,
          status: status as 'published' | 'draft',
        })),
      )
      .returning({ id: courses.id });
    published = [rows[0]!.id, rows[1]!.id];
    draft = rows[2]!.id;
  });
  afterAll(async () => {
    await database?.dispose();
  });

  beforeEach(async () => {
    cache =
      backend === 'postgres'
        ? await RedisCache.open({ url: inject('redisUrl'), namespace: `test:${randomUUID()}:` })
        : new MemoryCache();
    await db.update(courses).set({ viewCount: 0 });
  });
  afterEach(async () => {
    await cache.close();
  });

  it('counts a view once per viewer per window, and refuses drafts and unknown courses with 404', async () => {
    const counter = new ViewCounterService(repository, cache, undefined, { dedupeSeconds: 0.4 });
    const [a, b] = published as [string, string];
    for (let i = 0; i < 3; i++) await counter.recordView(a, { kind: 'user', userId: 'u1' });
    await counter.recordView(a, anonymous('browser-1'));
    await counter.recordView(a, anonymous('browser-1'));
    await counter.recordView(b, { kind: 'user', userId: 'u1' });
    // A browser's first request is known by IP; the cookie it got then must not count it again.
    await counter.recordView(b, anonymous('browser-2', true));
    await counter.recordView(b, anonymous('browser-2'));
    await expect(counter.recordView(draft, { kind: 'user', userId: 'u1' })).rejects.toMatchObject({
      statusCode: 404,
      code: 'course_not_found',
    });
    await expect(counter.recordView(randomUUID(), { kind: 'user', userId: 'u1' })).rejects.toMatchObject({
      statusCode: 404,
    });
    // Nothing reaches the database until the stats job flushes.
    expect(await viewCounts(db, published)).toEqual({ [a]: 0, [b]: 0 });
    expect(await counter.flush()).toEqual({ views: 4, courses: 2 });
    expect(await viewCounts(db, published)).toEqual({ [a]: 2, [b]: 2 });

    await sleep(500);
    await counter.recordView(a, { kind: 'user', userId: 'u1' });
    await counter.flush();
    expect((await viewCounts(db, [a]))[a]).toBe(3);
    expect(await counter.flush()).toEqual({ views: 0, courses: 0 });
  });

  it('does not count twice when the flush dies after the database committed', async () => {
    const [a] = published as [string];
    let crash = true;
    const crashingAfterCommit: ViewCountStore = {
      isPublished: (id) => repository.isPublished(id),
      pruneBatchesBefore: (cutoff) => repository.pruneBatchesBefore(cutoff),
      async applyBatch(batchId, counts) {
        const applied = await repository.applyBatch(batchId, counts);
        if (crash) throw new Error('worker killed before clearing the batch');
        return applied;
      },
    };
    const live = new ViewCounterService(repository, cache);
    const dying = new ViewCounterService(crashingAfterCommit, cache);
    for (let i = 0; i < 5; i++) await live.recordView(a, { kind: 'user', userId: `u${i}` });
    await expect(dying.flush()).rejects.toThrow('worker killed');
    expect((await viewCounts(db, [a]))[a]).toBe(5);
    // Views keep coming while the batch waits for its retry.
    await live.recordView(a, { kind: 'user', userId: 'late' });
    crash = false;
    await dying.flush();
    expect((await viewCounts(db, [a]))[a]).toBe(6);
    await live.flush();
    expect((await viewCounts(db, [a]))[a]).toBe(6);
  });

  it('loses nothing when the flush dies before the database committed', async () => {
    const [a, b] = published as [string, string];
    let crash = true;
    const failingDatabase: ViewCountStore = {
      isPublished: (id) => repository.isPublished(id),
      pruneBatchesBefore: (cutoff) => repository.pruneBatchesBefore(cutoff),
      async applyBatch(batchId, counts) {
        if (crash) throw new Error('database unreachable');
        return repository.applyBatch(batchId, counts);
      },
    };
    const live = new ViewCounterService(repository, cache);
    const flusher = new ViewCounterService(failingDatabase, cache);
    await live.recordView(a, { kind: 'user', userId: 'x' });
    await live.recordView(b, { kind: 'user', userId: 'x' });
    await expect(flusher.flush()).rejects.toThrow('database unreachable');
    await live.recordView(a, { kind: 'user', userId: 'y' });
    crash = false;
    expect(await flusher.flush()).toEqual({ views: 3, courses: 3 });
    expect(await viewCounts(db, published)).toEqual({ [a]: 2, [b]: 1 });
  });

  it('counts every view once when two flushes race', async () => {
    const [a] = published as [string];
    const counter = new ViewCounterService(repository, cache);
    for (let i = 0; i < 20; i++) await counter.recordView(a, { kind: 'user', userId: `r${i}` });
    await Promise.all([counter.flush(), counter.flush(), new ViewCounterService(repository, cache).flush()]);
    await counter.flush();
    expect((await viewCounts(db, [a]))[a]).toBe(20);
  });
});

const servers = serverBackends({ SEED_DEMO_DATA: 'true' });

/** The HTTP side: who counts as a viewer, what is refused, and the stats job moving counts. */
describe.each(servers)('POST /api/v1/courses/:id/views [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let ipCounter = 0;
  const client = () => new ApiClient(server.url, `10.7.0.${++ipCounter}`);
  const idOf = async (slug: string) =>
    (await server.database.primary.select({ id: courses.id }).from(courses).where(eq(courses.slug, slug)))[0]!.id;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({ ...s.env, TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('counts each browser and each signed-in user once, and the stats job flushes the counts', async () => {
    const courseId = await idOf('sql-for-data-analysis');
    const [before] = await server.database.primary
      .select({ views: courses.viewCount })
      .from(courses)
      .where(eq(courses.id, courseId));

    const browser = client();
    const first = await browser.call('POST', `/courses/${courseId}/views`);
    expect(first.status).toBe(204);
    expect(first.headers.get('set-cookie')).toMatch(/lectio_vid=[A-Za-z0-9_-]+;.*HttpOnly/i);
    expect(browser.cookies.get('lectio_vid')).toBeTruthy();
    // Reloads within 30 minutes, now with the cookie: not counted again, and the cookie is kept.
    for (let i = 0; i < 3; i++) {
      const again = await browser.call('POST', `/courses/${courseId}/views`);
      expect(again.status).toBe(204);
      expect(again.headers.get('set-cookie')).toBeNull();
    }
    // Another browser behind the same address but with its own cookie is another viewer.
    const other = new ApiClient(server.url, browser.ip);
    other.cookies.set('lectio_vid', 'another-browser-cookie-value-123');
    expect((await other.call('POST', `/courses/${courseId}/views`)).status).toBe(204);
    expect((await other.call('POST', `/courses/${courseId}/views`)).status).toBe(204);

    const student = client();
    expect((await student.login('student@lectio.localhost', 'lectio-student-demo')).status).toBe(200);
    expect((await student.call('POST', `/courses/${courseId}/views`)).status).toBe(204);
    // Same user from another device: still one viewer.
    const sameUserElsewhere = client();
    sameUserElsewhere.accessToken = student.accessToken;
    expect((await sameUserElsewhere.call('POST', `/courses/${courseId}/views`)).status).toBe(204);

    const expected = (before?.views ?? 0) + 3;
    // The repeatable job may be the one that flushes; either way the column reaches the total.
    const flushed = await waitUntil(async () => {
      await server.services.viewCounter.flush();
      const [row] = await server.database.primary
        .select({ views: courses.viewCount })
        .from(courses)
        .where(eq(courses.id, courseId));
      return row && row.views >= expected ? row.views : undefined;
    }, 'the view count to reach the database');
    expect(flushed).toBe(expected);
  });

  it('puts the more viewed of equally enrolled courses first when search sorts by popularity', async () => {
    const popularOrder = async () => {
      const res = await client().call('GET', '/search?sort=popular&pageSize=50');
      expect(res.status).toBe(200);
      const slugs = ((await res.json()) as { items: { slug: string }[] }).items.map((c) => c.slug);
      return slugs.filter((slug) => TIED.includes(slug));
    };
    // Seeded with two enrollments each; before any view the rating decides, and JavaScript's is lowest.
    const TIED = ['데이터분석-실전', 'javascript-완벽-가이드', 'practical-machine-learning-with-python'];
    expect((await popularOrder()).at(-1)).toBe('javascript-완벽-가이드');

    const js = await idOf('javascript-완벽-가이드');
    for (let i = 0; i < 4; i++) expect((await client().call('POST', `/courses/${js}/views`)).status).toBe(204);
    await waitUntil(async () => {
      await server.services.viewCounter.flush();
      const [row] = await server.database.primary
        .select({ views: courses.viewCount })
        .from(courses)
        .where(eq(courses.id, js));
      return row && row.views >= 4 ? true : undefined;
    }, 'the JavaScript course views to be flushed');
    expect((await popularOrder())[0]).toBe('javascript-완벽-가이드');
  });

  it('answers 404 for a draft or unknown course and 400 for a malformed id', async () => {
    const draftId = await idOf('고급-파이썬-패턴');
    const draftView = await client().call('POST', `/courses/${draftId}/views`);
    expect(draftView.status).toBe(404);
    expect(((await draftView.json()) as { error: { code: string } }).error.code).toBe('course_not_found');
    expect((await client().call('POST', `/courses/${randomUUID()}/views`)).status).toBe(404);
    expect((await client().call('POST', '/courses/not-a-uuid/views')).status).toBe(400);
    const forged = client();
    forged.accessToken = 'forged.token.value';
    expect((await forged.call('POST', `/courses/${await idOf('sql-for-data-analysis')}/views`)).status).toBe(401);
  });
});
