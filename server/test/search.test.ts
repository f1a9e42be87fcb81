import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerErrorHandling } from '../src/http/errors.js';
import { SearchDocumentIndexer } from '../src/modules/search/document.js';
import { SearchRepository } from '../src/modules/search/repository.js';
import { searchRoutes } from '../src/modules/search/routes.js';
import type { SearchResult } from '../src/modules/search/schemas.js';
import { SearchService } from '../src/modules/search/service.js';
import type { Db } from '../src/platform/db/port.js';
import { rowsOf } from '../src/platform/db/rows.js';
import {
  createPostgresDatabase,
  createTestDatabase,
  DATABASE_BACKENDS,
  type TestDatabase,
} from './support/databases.js';
import { startTestServer, type TestServer } from './support/servers.js';

interface CourseFixture {
  slug: string;
  title: string;
  subtitle?: string;
  description?: string;
  status?: 'draft' | 'published' | 'archived';
  level?: 'beginner' | 'intermediate' | 'advanced' | 'all';
  language?: 'ko' | 'en';
  price: number;
  currency?: 'KRW' | 'USD';
  category: string;
  rating?: number;
  enrollments?: number;
  publishedDaysAgo?: number;
  tags?: string[];
}

/** The catalog the must-shows are about: two top categories, two subcategories, one draft, one archived. */
const COURSES: CourseFixture[] = [
  {
    slug: 'python-for-beginners',
    title: '입문자를 위한 파이썬',
    subtitle: '처음 배우는 프로그래밍',
    description: '변수와 함수부터 차근차근 배웁니다. 실습은 Jupyter로 합니다.',
    level: 'beginner',
    price: 0,
    category: 'python',
    rating: 4.6,
    enrollments: 120,
    publishedDaysAgo: 30,
  },
  {
    slug: 'data-analysis-practice',
    title: '데이터분석 실전',
    subtitle: '판다스로 하는 실무 분석',
    level: 'intermediate',
    price: 55_000,
    category: 'data',
    rating: 4.8,
    enrollments: 80,
    publishedDaysAgo: 10,
  },
  {
    slug: 'javascript-complete',
    title: 'JavaScript 완벽 가이드',
    subtitle: '브라우저와 Node.js',
    level: 'all',
    price: 33_000,
    category: 'web',
    rating: 4.2,
    enrollments: 300,
    publishedDaysAgo: 5,
    tags: ['frontend'],
  },
  {
    slug: 'python-visualization',
    title: '파이썬 데이터 시각화',
    description: 'matplotlib 으로 그래프를 그립니다.',
    level: 'intermediate',
    price: 22_000,
    category: 'data',
    rating: 4.0,
    enrollments: 500,
    publishedDaysAgo: 60,
  },
  {
    slug: 'machine-learning-en',
    title: 'Machine Learning for Engineers',
    subtitle: 'Models that learn from data',
    language: 'en',
    level: 'advanced',
    price: 1999,
    currency: 'USD',
    category: 'data',
    rating: 3.9,
    enrollments: 40,
    publishedDaysAgo: 1,
  },
  { slug: 'python-secret-draft', title: '파이썬 비밀 초안', status: 'draft', price: 0, category: 'python' },
  { slug: 'python-archived', title: '옛날 파이썬 강의', status: 'archived', price: 0, category: 'python' },
];

async function insertFixtures(db: Db): Promise<Map<string, string>> {
  const [instructor] = rowsOf<{ id: string }>(
    await db.execute(sql`
      insert into users (email, password_hash, display_name, role, email_verified_at)
      values ('search-teacher@example.com', 'x', '김강사', 'instructor', now()) returning id`),
  );
  const category = async (slug: string, ko: string, en: string, parent: string | null) => {
    const [row] = rowsOf<{ id: string }>(
      await db.execute(sql`
        insert into categories (slug, name_ko, name_en, parent_id)
        values (${slug}, ${ko}, ${en}, ${parent}) returning id`),
    );
    return row!.id;
  };
  const programming = await category('programming', '프로그래밍', 'Programming', null);
  const categories = new Map([
    ['programming', programming],
    ['python', await category('python', '파이썬', 'Python', programming)],
    ['web', await category('web', '웹 개발', 'Web', programming)],
    ['data', await category('data', '데이터 과학', 'Data science', null)],
  ]);
  const ids = new Map<string, string>();
  const indexer = new SearchDocumentIndexer();
  for (const c of COURSES) {
    const status = c.status ?? 'published';
    const published = status === 'published' ? new Date(Date.now() - (c.publishedDaysAgo ?? 0) * 86_400_000) : null;
    // As the catalog does it: the write and the document sync in one transaction.
    await db.transaction(async (tx) => {
      const [row] = rowsOf<{ id: string }>(
        await tx.execute(sql`
          insert into courses (instructor_id, category_id, slug, title, subtitle, description, level, language,
            price_amount, currency, tags, status, rating_average, rating_count, enrollment_count, published_at)
          values (${instructor!.id}, ${categories.get(c.category)!}, ${c.slug}, ${c.title}, ${c.subtitle ?? ''},
            ${c.description ?? ''}, ${c.level ?? 'all'}, ${c.language ?? 'ko'}, ${c.price}, ${c.currency ?? 'KRW'},
            ${`{${(c.tags ?? []).join(',')}}`}::text[], ${status}, ${c.rating ?? 0}, ${c.rating ? 10 : 0},
            ${c.enrollments ?? 0}, ${published})
          returning id`),
      );
      ids.set(c.slug, row!.id);
      await indexer.syncCourse(tx as unknown as Db, row!.id);
    });
  }
  return ids;
}

/** Just the search routes on Fastify with the app's validation and error handling, over a given database. */
async function searchApp(service: SearchService): Promise<FastifyInstance> {
  const app = Fastify().withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  await app.register(searchRoutes(service));
  await app.ready();
  return app;
}

describe.each(DATABASE_BACKENDS)('search [%s]', (backend) => {
  let database: TestDatabase;
  let app: FastifyInstance;
  let service: SearchService;
  let ids: Map<string, string>;

  const search = async (query: string): Promise<SearchResult> => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/search?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<SearchResult>();
  };
  const slugs = async (query: string) => (await search(query)).items.map((i) => i.slug);
  const q = (text: string) => `q=${encodeURIComponent(text)}`;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    ids = await insertFixtures(database.port.primary);
    service = new SearchService(
      new SearchRepository(database.port.db, database.port.primary),
      new SearchDocumentIndexer(),
      { mediaBaseUrl: 'http://lectio.test' },
    );
    app = await searchApp(service);
  });
  afterAll(async () => {
    await app?.close();
    await database?.dispose();
  });

  describe('must-shows', () => {
    it('finds a Korean word inside a longer title word: 입문 → 입문자를 위한 파이썬', async () => {
      expect(await slugs(q('입문'))).toEqual(['python-for-beginners']);
    });

    it('ignores a particle on the query word: 파이썬을 finds the Python courses, never the draft or archived one', async () => {
      const found = await slugs(q('파이썬을'));
      expect(found).toContain('python-for-beginners');
      expect(found).toContain('python-visualization');
      expect(found).not.toContain('python-secret-draft');
      expect(found).not.toContain('python-archived');
    });

    it('matches a compound: 데이터 → 데이터분석 실전', async () => {
      const found = await slugs(q('데이터'));
      expect(found).toContain('data-analysis-practice');
      expect(found).toContain('python-visualization');
    });

    it('tolerates a typo: javascrpt → JavaScript 완벽 가이드', async () => {
      const result = await search(q('javascrpt'));
      expect(result.items[0]?.title).toBe('JavaScript 완벽 가이드');
    });

    it('stems English: "learn" finds "Machine Learning for Engineers"', async () => {
      expect(await slugs(q('learn'))).toEqual(['machine-learning-en']);
    });

    it('finds a Latin word with a Korean particle glued to it: jupyter → "… Jupyter로 합니다"', async () => {
      expect(await slugs(q('jupyter'))).toEqual(['python-for-beginners']);
    });

    it('answers nothing, not everything, for a query that matches nothing', async () => {
      const result = await search(q('양자역학'));
      expect(result).toMatchObject({ items: [], total: 0 });
    });

    it('ranks the title match above a match only in the category or description', async () => {
      // 파이썬 is in both Python titles; the course in the Python category whose title lacks it would rank lower.
      const found = await slugs(q('파이썬'));
      expect(found.slice(0, 2).sort()).toEqual(['python-for-beginners', 'python-visualization']);
    });
  });

  describe('cards and paging', () => {
    it('returns CourseCards with price, instructor, category and rating', async () => {
      const result = await search(q('입문'));
      expect(result).toMatchObject({ total: 1, page: 1, pageSize: 20 });
      expect(result.items[0]).toMatchObject({
        id: ids.get('python-for-beginners'),
        slug: 'python-for-beginners',
        title: '입문자를 위한 파이썬',
        level: 'beginner',
        language: 'ko',
        price: { amount: 0, currency: 'KRW' },
        isFree: true,
        cover: null,
        instructor: { displayName: '김강사' },
        category: { slug: 'python', nameKo: '파이썬', nameEn: 'Python' },
        rating: { average: 4.6, count: 10 },
        enrollmentCount: 120,
      });
      expect(new Date(result.items[0]!.publishedAt!).getTime()).toBeLessThan(Date.now());
    });

    it('pages through results with a stable total', async () => {
      const first = await search(`${q('파이썬')}&sort=popular&pageSize=1&page=1`);
      const second = await search(`${q('파이썬')}&sort=popular&pageSize=1&page=2`);
      expect(first.total).toBe(2);
      expect(second.total).toBe(2);
      expect([first.items[0]!.slug, second.items[0]!.slug]).toEqual(['python-visualization', 'python-for-beginners']);
    });

    it('lists every published course, most popular first, without a query', async () => {
      const result = await search('');
      expect(result.total).toBe(5);
      expect(result.items[0]!.slug).toBe('python-visualization');
      expect(result.items.map((i) => i.slug)).not.toContain('python-secret-draft');
    });
  });

  describe('filters and sort with the query', () => {
    it('filters by a top category, including its subcategories', async () => {
      expect((await slugs('category=programming&sort=newest')).sort()).toEqual([
        'javascript-complete',
        'python-for-beginners',
      ]);
      expect(await slugs(`${q('파이썬')}&category=data`)).toEqual(['python-visualization']);
    });

    it('filters by level, language, rating and free', async () => {
      expect(await slugs(`${q('파이썬')}&level=beginner`)).toEqual(['python-for-beginners']);
      expect(await slugs('language=en')).toEqual(['machine-learning-en']);
      expect(await slugs(`${q('파이썬')}&minRating=4.5`)).toEqual(['python-for-beginners']);
      expect(await slugs(`${q('파이썬')}&free=true`)).toEqual(['python-for-beginners']);
    });

    it('filters by a price range in one currency', async () => {
      expect((await slugs('priceMin=20000&priceMax=40000&currency=KRW')).sort()).toEqual([
        'javascript-complete',
        'python-visualization',
      ]);
      expect(await slugs('priceMin=1&currency=USD')).toEqual(['machine-learning-en']);
    });

    it('refuses a price range without a currency, or upside down', async () => {
      const noCurrency = await app.inject({ method: 'GET', url: '/api/v1/search?priceMin=1000' });
      expect(noCurrency.statusCode).toBe(400);
      expect(noCurrency.json()).toMatchObject({ error: { code: 'currency_required' } });
      const upsideDown = await app.inject({
        method: 'GET',
        url: '/api/v1/search?priceMin=5000&priceMax=1000&currency=KRW',
      });
      expect(upsideDown.json()).toMatchObject({ error: { code: 'invalid_price_range' } });
      const badSort = await app.inject({ method: 'GET', url: '/api/v1/search?sort=cheapest' });
      expect(badSort.statusCode).toBe(400);
    });

    it('sorts the matches of a query by price, rating, popularity or date', async () => {
      const query = q('파이썬');
      expect(await slugs(`${query}&sort=price_desc`)).toEqual(['python-visualization', 'python-for-beginners']);
      expect(await slugs(`${query}&sort=price_asc`)).toEqual(['python-for-beginners', 'python-visualization']);
      expect(await slugs(`${query}&sort=rating`)).toEqual(['python-for-beginners', 'python-visualization']);
      expect(await slugs(`${query}&sort=popular`)).toEqual(['python-visualization', 'python-for-beginners']);
      expect(await slugs(`${query}&sort=newest`)).toEqual(['python-for-beginners', 'python-visualization']);
    });

    it('counts facets over the query and the other filters', async () => {
      const result = await search(`${q('파이썬')}&level=beginner`);
      expect(result.total).toBe(1);
      // The level facet ignores the level filter, so the other level stays visible to switch to.
      expect(result.facets.level).toEqual([
        { value: 'beginner', count: 1 },
        { value: 'intermediate', count: 1 },
      ]);
      // The other facets honour it: only the beginner course is counted.
      expect(result.facets.category).toEqual([
        { slug: 'programming', count: 1 },
        { slug: 'python', count: 1 },
      ]);
      expect(result.facets.price).toEqual({ free: 1, paid: 0 });
      expect(result.facets.language).toEqual([{ value: 'ko', count: 1 }]);
      expect(result.facets.rating).toEqual([
        { min: 4, count: 1 },
        { min: 3, count: 1 },
        { min: 2, count: 1 },
        { min: 1, count: 1 },
      ]);
    });

    it('leaves each facet its own filter out, with and without query text', async () => {
      // Browsing data courses rated 4 or more: data-analysis-practice (4.8), python-visualization (4.0).
      const browsing = await search('category=data&minRating=4');
      expect(browsing.total).toBe(2);
      // Categories ignore the category filter but keep the rating one (machine-learning-en is 3.9).
      expect(browsing.facets.category).toEqual([
        { slug: 'data', count: 2 },
        { slug: 'programming', count: 2 },
        { slug: 'python', count: 1 },
        { slug: 'web', count: 1 },
      ]);
      // Ratings ignore the rating filter but keep the category one.
      expect(browsing.facets.rating).toEqual([
        { min: 4, count: 2 },
        { min: 3, count: 3 },
        { min: 2, count: 3 },
        { min: 1, count: 3 },
      ]);
      expect(browsing.facets.level).toEqual([{ value: 'intermediate', count: 2 }]);
      expect(browsing.facets.price).toEqual({ free: 0, paid: 2 });

      // 데이터 is in every data course (its category is 데이터 과학); only one of them is in English.
      const english = await search(`${q('데이터')}&language=en`);
      expect(english.items.map((i) => i.slug)).toEqual(['machine-learning-en']);
      expect(english.facets.language).toEqual([
        { value: 'ko', count: 2 },
        { value: 'en', count: 1 },
      ]);
      expect(english.facets.category).toEqual([{ slug: 'data', count: 1 }]);
      expect(english.facets.level).toEqual([{ value: 'advanced', count: 1 }]);
      // Free courses among the matches, whatever the price filter says: none.
      const free = await search(`${q('데이터')}&free=true`);
      expect(free.total).toBe(0);
      expect(free.facets.price).toEqual({ free: 0, paid: 3 });
    });
  });

  describe('suggest', () => {
    const suggest = async (text: string) => {
      const res = await app.inject({ method: 'GET', url: `/api/v1/search/suggest?q=${encodeURIComponent(text)}` });
      expect(res.statusCode).toBe(200);
      return res.json<{ items: { slug: string; title: string }[] }>().items;
    };

    it('completes Korean and English titles while typing, published ones only', async () => {
      expect((await suggest('파이')).map((i) => i.slug).sort()).toEqual([
        'python-for-beginners',
        'python-visualization',
      ]);
      expect(await suggest('데이터분')).toEqual([{ slug: 'data-analysis-practice', title: '데이터분석 실전' }]);
      expect((await suggest('java')).map((i) => i.title)).toEqual(['JavaScript 완벽 가이드']);
      expect((await suggest('javascrpt')).map((i) => i.title)).toEqual(['JavaScript 완벽 가이드']);
      expect(await suggest('')).toEqual([]);
    });
  });

  describe('counters written outside the catalog, and the count cap', () => {
    it('orders and filters by enrolments and ratings written by other modules on the next request', async () => {
      const id = ids.get('python-for-beginners')!;
      expect(await slugs(`${q('파이썬')}&sort=popular`)).toEqual(['python-visualization', 'python-for-beginners']);
      // What the enrollments and reviews modules do: update the course row, never the search document.
      await database.port.primary.execute(
        sql`update courses set enrollment_count = 900, rating_average = 3.5 where id = ${id}`,
      );
      try {
        expect(await slugs(`${q('파이썬')}&sort=popular`)).toEqual(['python-for-beginners', 'python-visualization']);
        expect(await slugs(`${q('파이썬')}&minRating=4`)).toEqual(['python-visualization']);
        expect((await search(q('파이썬'))).facets.rating[0]).toEqual({ min: 4, count: 1 });
      } finally {
        await database.port.primary.execute(
          sql`update courses set enrollment_count = 120, rating_average = 4.6 where id = ${id}`,
        );
      }
      expect(await slugs(`${q('파이썬')}&sort=popular`)).toEqual(['python-visualization', 'python-for-beginners']);
    });

    it('reports an exact total below the cap', async () => {
      expect(await search('')).toMatchObject({ total: 5, totalIsLowerBound: false });
    });

    it('above the cap, reports the total as a lower bound but still shows every match in the exact order', async () => {
      const capped = (cap: number) =>
        new SearchService(
          new SearchRepository(database.port.db, database.port.primary, cap),
          new SearchDocumentIndexer(),
          { mediaBaseUrl: 'http://lectio.test' },
        );
      const all = { q: '', sort: 'popular', page: 1, pageSize: 20 } as const;
      const exact = await service.search(all);
      const result = await capped(3).search(all);
      expect(result).toMatchObject({ total: 3, totalIsLowerBound: true });
      expect(result.items.map((i) => i.slug)).toEqual(exact.items.map((i) => i.slug));
      expect(result.items).toHaveLength(5);
      const secondPage = await capped(3).search({ ...all, page: 2, pageSize: 2 });
      expect(secondPage.items.map((i) => i.slug)).toEqual(exact.items.slice(2, 4).map((i) => i.slug));
      // Ranked by relevance too: the page is computed over every match, not the counted ones.
      const ranked = { q: '파이썬', sort: 'relevance', page: 1, pageSize: 20 } as const;
      const rankedCapped = await capped(1).search(ranked);
      expect(rankedCapped.totalIsLowerBound).toBe(true);
      expect(rankedCapped.items.map((i) => i.slug)).toEqual((await service.search(ranked)).items.map((i) => i.slug));
    });
  });

  describe('visibility and reindex', () => {
    it('never shows a course that is no longer published, even if its document was left behind', async () => {
      const id = ids.get('data-analysis-practice')!;
      // Unpublish behind search's back: the document stays, the course must still disappear.
      await database.port.primary.execute(sql`update courses set status = 'draft' where id = ${id}`);
      try {
        expect(await slugs(q('데이터분석'))).toEqual([]);
        expect((await search('')).total).toBe(4);
      } finally {
        await database.port.primary.execute(sql`update courses set status = 'published' where id = ${id}`);
      }
      expect(await slugs(q('데이터분석'))).toEqual(['data-analysis-practice']);
    });

    it('removes the document when the catalog syncs an unpublished course', async () => {
      const id = ids.get('javascript-complete')!;
      const indexer = new SearchDocumentIndexer();
      await database.port.primary.transaction(async (tx) => {
        await tx.execute(sql`update courses set status = 'archived' where id = ${id}`);
        await indexer.syncCourse(tx as unknown as Db, id);
      });
      const [row] = rowsOf<{ n: number }>(
        await database.port.primary.execute(
          sql`select count(*)::int as n from course_search_documents where course_id = ${id}`,
        ),
      );
      expect(row!.n).toBe(0);
      await database.port.primary.transaction(async (tx) => {
        await tx.execute(sql`update courses set status = 'published' where id = ${id}`);
        await indexer.syncCourse(tx as unknown as Db, id);
      });
      expect(await slugs(q('javascript'))).toEqual(['javascript-complete']);
    });

    it('reindex restores a deleted document and picks up a title changed behind its back', async () => {
      const id = ids.get('python-for-beginners')!;
      await database.port.primary.execute(sql`delete from course_search_documents where course_id = ${id}`);
      await database.port.primary.execute(sql`update courses set subtitle = '코딩 첫걸음' where id = ${id}`);
      expect(await slugs(q('입문'))).toEqual([]);

      const progress: number[] = [];
      const result = await service.reindex((p) => progress.push(p.done), 3);
      expect(result).toEqual({ done: 7, total: 7, indexed: 5 });
      expect(progress).toEqual([3, 6, 7]);
      expect(await slugs(q('입문'))).toEqual(['python-for-beginners']);
      expect(await slugs(q('첫걸음'))).toEqual(['python-for-beginners']);
      // The draft and the archived course still have no document.
      const [docs] = rowsOf<{ n: number }>(
        await database.port.primary.execute(sql`select count(*)::int as n from course_search_documents`),
      );
      expect(docs!.n).toBe(5);
    });
  });
});

describe('search on a running server [postgres+redis]', () => {
  let server: TestServer;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const database = await createPostgresDatabase();
    dispose = () => database.dispose();
    await insertFixtures(database.port.primary);
    server = await startTestServer({ DATABASE_URL: database.url!, REDIS_URL: inject('redisUrl') });
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('serves /api/v1/search and /suggest to anyone, without drafts', async () => {
    const res = await fetch(`${server.url}/api/v1/search?q=${encodeURIComponent('파이썬을')}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as SearchResult;
    expect(body.items.map((i) => i.slug).sort()).toEqual(['python-for-beginners', 'python-visualization']);
    const suggest = await fetch(`${server.url}/api/v1/search/suggest?q=${encodeURIComponent('입문')}`);
    expect(await suggest.json()).toEqual({ items: [{ slug: 'python-for-beginners', title: '입문자를 위한 파이썬' }] });
  });

  it('keeps an answer until the catalog changes, then answers from the database at once', async () => {
    const search = async () => {
      const res = await fetch(`${server.url}/api/v1/search?q=${encodeURIComponent('입문')}&pageSize=5`);
      expect(res.status).toBe(200);
      return ((await res.json()) as SearchResult).items.map((i) => i.title);
    };
    const suggest = async () =>
      (await (await fetch(`${server.url}/api/v1/search/suggest?q=${encodeURIComponent('입문')}`)).json()) as {
        items: { title: string }[];
      };
    expect(await search()).toEqual(['입문자를 위한 파이썬']);
    expect((await suggest()).items.map((i) => i.title)).toEqual(['입문자를 위한 파이썬']);
    // A change written behind the catalog's back (nobody told the cache) is not seen: the answer is kept.
    const db = server.database.primary;
    await db.execute(sql`update courses set title = '입문자를 위한 파이썬 2판' where slug = 'python-for-beginners'`);
    expect(await search()).toEqual(['입문자를 위한 파이썬']);
    // Every writer tells the catalog after its commit (studio edits, enrolments, reviews): seen at once.
    const [course] = rowsOf<{ id: string }>(
      await db.execute(sql`select id from courses where slug = 'python-for-beginners'`),
    );
    await server.services.catalogCache.courseChanged(course!.id);
    expect(await search()).toEqual(['입문자를 위한 파이썬 2판']);
    expect((await suggest()).items.map((i) => i.title)).toEqual(['입문자를 위한 파이썬 2판']);
  });

  it('documents both routes in OpenAPI as callable by anyone', async () => {
    const spec = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { summary?: string } }>;
    };
    expect(spec.paths['/api/v1/search']?.get?.summary).toMatch(/\(anyone\)$/);
    expect(spec.paths['/api/v1/search/suggest']?.get?.summary).toMatch(/\(anyone\)$/);
  });
});
