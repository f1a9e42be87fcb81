import { fillPlaceholders, sql, type Query } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, DATABASE_BACKENDS, type TestDatabase } from '../../../test/support/databases.js';
import { PreparedQueries } from '../../platform/db/prepared.js';
import { rowsOf } from '../../platform/db/rows.js';
import { users } from '../users/schema.js';
import { CatalogRepository, type CourseSort } from './repository.js';
import { categories, courses } from './schema.js';

const SORTS: CourseSort[] = ['newest', 'popular', 'rating'];

interface Seeded {
  id: string;
  categoryId: string;
  publishedAt: Date;
  enrollmentCount: number;
  viewCount: number;
  ratingAverage: number;
  ratingCount: number;
}

/** The order each sort promises, written out in JavaScript: newest first, ties by id descending. */
function expectedOrder(rows: Seeded[], sort: CourseSort): string[] {
  const keys = (r: Seeded): (number | string)[] =>
    sort === 'newest'
      ? [r.publishedAt.getTime(), r.id]
      : sort === 'popular'
        ? [r.enrollmentCount, r.viewCount, r.publishedAt.getTime(), r.id]
        : [r.ratingAverage, r.ratingCount, r.publishedAt.getTime(), r.id];
  return [...rows]
    .sort((a, b) => {
      const [ka, kb] = [keys(a), keys(b)];
      for (let i = 0; i < ka.length; i += 1) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? 1 : -1;
      return 0;
    })
    .map((r) => r.id);
}

/** A prepared Drizzle query's text and parameters (the PreparedQueries cache hands the query out). */
type PreparedQuery = { getQuery(): Query };

describe.each(DATABASE_BACKENDS)('catalog list pages [%s]', (backend) => {
  let database: TestDatabase;
  let repository: CatalogRepository;
  const seeded: Seeded[] = [];
  let top: string;
  let children: string[];

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    const db = database.port.primary;
    const [instructor] = await db
      .insert(users)
      .values({ email: 'teacher@example.com', passwordHash: 'x', displayName: 'Teacher', role: 'instructor' })
      .returning({ id: users.id });
    const [parent] = await db
      .insert(categories)
      .values({ slug: 'programming', nameKo: '프로그래밍', nameEn: 'Programming' })
      .returning({ id: categories.id });
    top = parent!.id;
    children = (
      await db
        .insert(categories)
        .values(['python', 'web'].map((slug) => ({ slug, nameKo: slug, nameEn: slug, parentId: top })))
        .returning({ id: categories.id })
    ).map((c) => c.id);
    // Ties on purpose (same rating, same enrollments, same day) so the later keys and the id decide.
    const base = Date.UTC(2026, 0, 1);
    const values = Array.from({ length: 30 }, (_, i) => ({
      instructorId: instructor!.id,
      categoryId: [top, children[0]!, children[1]!][i % 3]!,
      slug: `course-${i}`,
      title: `Course ${i}`,
      status: i % 7 === 6 ? ('draft' as const) : ('published' as const),
      publishedAt: i % 7 === 6 ? null : new Date(base + (i % 5) * 86_400_000),
      enrollmentCount: (i * 7) % 4,
      viewCount: (i * 3) % 5,
      ratingAverage: [4.5, 3.25, 4.5, 5][i % 4]!,
      ratingCount: i % 3,
    }));
    for (const row of await db.insert(courses).values(values).returning()) {
      if (row.status !== 'published') continue;
      seeded.push({
        id: row.id,
        categoryId: row.categoryId!,
        publishedAt: row.publishedAt!,
        enrollmentCount: row.enrollmentCount,
        viewCount: row.viewCount,
        ratingAverage: row.ratingAverage,
        ratingCount: row.ratingCount,
      });
    }
    // Index-only scans need the visibility map; planner statistics for the plan checks below.
    await db.execute(sql`vacuum analyze courses`);
    repository = new CatalogRepository(database.port.db, db);
  });

  afterAll(async () => {
    await database?.dispose();
  });

  it('answers course pages asked for together as it answers each alone', async () => {
    const slugs = ['course-3', 'course-6', 'no-such-course', 'course-3', 'course-29'];
    const together = await Promise.all(slugs.map((slug) => repository.courseDetailBySlug(slug)));
    const alone = [];
    for (const slug of slugs) alone.push(await repository.courseDetailBySlug(slug));
    expect(together).toEqual(alone);
    expect(together.map((page) => page?.card.slug)).toEqual([
      'course-3',
      'course-6',
      undefined,
      'course-3',
      'course-29',
    ]);
  });

  it('pages every sort of all courses, one category and a parent with its children in the promised order', async () => {
    const filters: [string, string[] | undefined][] = [
      ['all', undefined],
      ['one', [children[0]!]],
      ['parent', [top, ...children]],
    ];
    for (const sort of SORTS) {
      for (const [, categoryIds] of filters) {
        const members = seeded.filter((r) => categoryIds === undefined || categoryIds.includes(r.categoryId));
        const expected = expectedOrder(members, sort);
        expect(expected.length).toBeGreaterThan(0);
        for (const pageSize of [4, 7]) {
          const got: string[] = [];
          for (let page = 1; page <= Math.ceil(expected.length / pageSize) + 1; page += 1) {
            const rows = await repository.pagePublished({ sort, categoryIds, page, pageSize });
            expect(rows.length).toBeLessThanOrEqual(pageSize);
            got.push(...rows.map((r) => r.id));
          }
          expect(got).toEqual(expected);
        }
      }
    }
  });

  it("reads one category's page from that category's range of the sort's index, already in order", async () => {
    const built = vi.spyOn(PreparedQueries.prototype, 'get');
    const fresh = new CatalogRepository(database.port.db, database.port.primary);
    const planOf = async (categoryIds: string[], sort: CourseSort): Promise<string> => {
      built.mockClear();
      const values = { sort, categoryIds, page: 2, pageSize: 3 };
      await fresh.pagePublished(values);
      const query = (built.mock.results[0]!.value as PreparedQuery).getQuery();
      const params = fillPlaceholders(query.params, {
        categoryId: categoryIds[0],
        categoryIds: `{${categoryIds.join(',')}}`,
        limit: 3,
        offset: 3,
      });
      // Parameters inlined as literals (all are ours: uuids, numbers, an enum value), highest first
      // so $1 does not eat the start of $10.
      let text = query.sql;
      for (let i = params.length; i >= 1; i -= 1) {
        const value = params[i - 1];
        text = text.replaceAll(`$${i}`, typeof value === 'number' ? String(value) : `'${String(value)}'`);
      }
      // Thirty courses fit in a page of the table: told not to scan it, the planner shows which index
      // serves the statement, and whether that index already gives the order.
      return database.port.primary.transaction(async (tx) => {
        await tx.execute(sql`set local enable_seqscan = off`);
        await tx.execute(sql`set local enable_bitmapscan = off`);
        const plan = rowsOf<{ 'QUERY PLAN': string }>(await tx.execute(sql.raw(`explain ${text}`)));
        return plan.map((r) => r['QUERY PLAN']).join('\n');
      });
    };
    try {
      for (const sort of SORTS) {
        const one = await planOf([children[0]!], sort);
        // The page's ids come straight from the category's range of the sort's index: a Limit over
        // an Index Only Scan, nothing sorted before it.
        expect(one).toMatch(
          new RegExp(`Limit[^\\n]*\\n\\s*->\\s+Index Only Scan using courses_category_list_${sort}_idx`),
        );
      }
    } finally {
      built.mockRestore();
    }
  });
});
