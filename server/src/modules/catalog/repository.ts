import { and, asc, desc, eq, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { batchedReader } from '../../platform/db/batcher.js';
import { PreparedQueries } from '../../platform/db/prepared.js';
import { enrollments, wishlistItems } from '../enrollments/schema.js';
import { users } from '../users/schema.js';
import type { courseSections } from './schema.js';
import { categories, courses, lessonAttachments, lessons, LIST_SORTS } from './schema.js';

export type CourseRow = typeof courses.$inferSelect;
export type SectionRow = typeof courseSections.$inferSelect;
export type LessonRow = typeof lessons.$inferSelect;
export type AttachmentRow = typeof lessonAttachments.$inferSelect;
export type CategoryRow = typeof categories.$inferSelect;
export type CourseSort = keyof typeof LIST_SORTS;

/** What a course card shows: the course with its instructor's name and its category. */
export const cardColumns = {
  id: courses.id,
  slug: courses.slug,
  title: courses.title,
  subtitle: courses.subtitle,
  level: courses.level,
  language: courses.language,
  priceAmount: courses.priceAmount,
  currency: courses.currency,
  coverKey: courses.coverKey,
  tags: courses.tags,
  ratingAverage: courses.ratingAverage,
  ratingCount: courses.ratingCount,
  enrollmentCount: courses.enrollmentCount,
  publishedAt: courses.publishedAt,
  status: courses.status,
  instructorId: courses.instructorId,
  instructorName: users.displayName,
  categoryId: categories.id,
  categorySlug: categories.slug,
  categoryNameKo: categories.nameKo,
  categoryNameEn: categories.nameEn,
};

export interface CardRow {
  id: string;
  slug: string;
  title: string;
  subtitle: string;
  level: CourseRow['level'];
  language: CourseRow['language'];
  priceAmount: number | null;
  currency: CourseRow['currency'];
  coverKey: string | null;
  tags: string[];
  ratingAverage: number;
  ratingCount: number;
  enrollmentCount: number;
  publishedAt: Date | null;
  status: CourseRow['status'];
  instructorId: string;
  instructorName: string;
  categoryId: string | null;
  categorySlug: string | null;
  categoryNameKo: string | null;
  categoryNameEn: string | null;
}

/** Each sort's ORDER BY, from the columns its indexes are built on (LIST_SORTS). */
const ORDER = Object.fromEntries(
  (Object.keys(LIST_SORTS) as CourseSort[]).map((sort) => [sort, LIST_SORTS[sort].map((key) => desc(courses[key]))]),
) as Record<CourseSort, SQL[]>;

const published = eq(courses.status, 'published');

/** Which published courses a list shows: all, a category's (with its subcategories'), or an instructor's. */
export interface PublishedQuery {
  categoryIds?: string[];
  instructorId?: string;
  sort: CourseSort;
}

function publishedWhere(query: Omit<PublishedQuery, 'sort'>): SQL | undefined {
  const conditions: SQL[] = [published];
  if (query.categoryIds) conditions.push(inArray(courses.categoryId, query.categoryIds));
  if (query.instructorId) conditions.push(eq(courses.instructorId, query.instructorId));
  return and(...conditions);
}

export interface CourseDetailRows {
  card: CardRow;
  description: string;
  sections: Pick<SectionRow, 'id' | 'title' | 'position'>[];
  lessons: Pick<LessonRow, 'id' | 'sectionId' | 'title' | 'type' | 'position' | 'isFreePreview' | 'durationSeconds'>[];
  ratingCounts: { rating: number; count: number }[];
  instructorCourseCount: number;
}

/**
 * The public catalog's reads. What gets cached is loaded from the primary: a page reloaded right
 * after an invalidation must not be refilled from a replica that has not caught up with the write.
 */
export class CatalogRepository {
  private readonly queries = new PreparedQueries();

  constructor(
    private readonly db: Db,
    private readonly primary: Db,
  ) {}

  async categoriesWithCounts(): Promise<(CategoryRow & { courseCount: number })[]> {
    return this.primary
      .select({
        id: categories.id,
        parentId: categories.parentId,
        slug: categories.slug,
        nameKo: categories.nameKo,
        nameEn: categories.nameEn,
        position: categories.position,
        createdAt: categories.createdAt,
        // Spelled out: Drizzle leaves columns of a one-table query unqualified, and a bare "id"
        // inside the subquery would mean the course's.
        courseCount: sql<number>`(select count(*)::int from courses c
          where c.category_id = categories.id and c.status = 'published')`,
      })
      .from(categories)
      .orderBy(asc(categories.position), asc(categories.slug));
  }

  async categoryExists(id: string): Promise<boolean> {
    const [row] = await this.primary.select({ id: categories.id }).from(categories).where(eq(categories.id, id));
    return Boolean(row);
  }

  async listPublished(
    query: PublishedQuery & { page: number; pageSize: number },
  ): Promise<{ items: CardRow[]; total: number }> {
    const [items, total] = await Promise.all([this.pagePublished(query), this.countPublished(query)]);
    return { items, total };
  }

  /**
   * One page of published courses. The page's ids are picked from `courses` alone, by an
   * index-only scan of the sort's partial index (courses_list_*_idx; within categories
   * courses_category_list_*_idx), and only those rows are joined to their instructor and category:
   * joining first would join every row the offset skips, or every row of a category before
   * sorting it. One category is compared with `=`, so its page is one range of its index; several
   * (a parent with its subcategories) with `= any(...)`, each category's range read and the few
   * hundred ids sorted. (A merge of the ranges, a UNION ALL branch per category, read fewer rows
   * but cost more to plan than it saved: docs/benchmarks.md, "Eighth round".)
   */
  async pagePublished(query: PublishedQuery & { page: number; pageSize: number }): Promise<CardRow[]> {
    const categoryIds = query.categoryIds;
    const byInstructor = query.instructorId !== undefined;
    const byCategory = categoryIds === undefined ? 'none' : categoryIds.length === 1 ? 'one' : 'any';
    const prepared = this.queries.get(`page:${query.sort}:${byCategory}:${byInstructor}`, (name) => {
      const conditions: SQL[] = [published];
      if (byCategory === 'one') conditions.push(eq(courses.categoryId, sql.placeholder('categoryId')));
      // One parameter for any number of categories, as an array literal: the statement's text must
      // not depend on how many there are. uuids need no quoting inside it.
      if (byCategory === 'any') {
        conditions.push(sql`${courses.categoryId} = any(${sql.placeholder('categoryIds')}::uuid[])`);
      }
      if (byInstructor) conditions.push(eq(courses.instructorId, sql.placeholder('instructorId')));
      const page = this.primary
        .select({ id: courses.id })
        .from(courses)
        .where(and(...conditions))
        .orderBy(...ORDER[query.sort])
        .limit(sql.placeholder('limit'))
        .offset(sql.placeholder('offset'))
        .as('page');
      return this.primary
        .select(cardColumns)
        .from(page)
        .innerJoin(courses, eq(courses.id, page.id))
        .innerJoin(users, eq(users.id, courses.instructorId))
        .leftJoin(categories, eq(categories.id, courses.categoryId))
        .orderBy(...ORDER[query.sort])
        .prepare(name);
    });
    return prepared.execute({
      categoryId: categoryIds?.[0],
      categoryIds: `{${(categoryIds ?? []).join(',')}}`,
      instructorId: query.instructorId,
      limit: query.pageSize,
      offset: (query.page - 1) * query.pageSize,
    });
  }

  async countPublished(query: Omit<PublishedQuery, 'sort'>): Promise<number> {
    const [counted] = await this.primary
      .select({ n: sql<number>`count(*)::int` })
      .from(courses)
      .where(publishedWhere(query));
    return counted?.n ?? 0;
  }

  /**
   * A course page's rows in one statement: the card, and as JSON its sections, lessons, rating
   * counts and the instructor's course count. Five statements (one, then four at once) cost each
   * uncached page five round trips and four pool connections; this costs one of each. The pages
   * asked for together (a crawl, a burst of first visits) go as one statement (see Batcher): it is
   * an unnamed statement, parsed and planned on every run, and its plan is not small.
   */
  courseDetailBySlug(slug: string): Promise<CourseDetailRows | undefined> {
    return this.detailReader(slug);
  }

  private readonly detailReader = batchedReader((slugs: string[]) => this.courseDetailsBySlugs(slugs));

  private async courseDetailsBySlugs(slugs: string[]): Promise<(CourseDetailRows | undefined)[]> {
    const prepared = this.queries.get('detail', (name) =>
      this.primary
        .select({
          card: cardColumns,
          description: courses.description,
          sections: sql<CourseDetailRows['sections']>`(select coalesce(json_agg(json_build_object(
            'id', s.id, 'title', s.title, 'position', s.position) order by s.position, s.created_at), '[]')
          from course_sections s where s.course_id = ${courses.id})`,
          lessons: sql<CourseDetailRows['lessons']>`(select coalesce(json_agg(json_build_object(
            'id', l.id, 'sectionId', l.section_id, 'title', l.title, 'type', l.type, 'position', l.position,
            'isFreePreview', l.is_free_preview, 'durationSeconds', l.duration_seconds)
            order by l.position, l.created_at), '[]')
          from lessons l where l.course_id = ${courses.id})`,
          ratingCounts: sql<CourseDetailRows['ratingCounts']>`(select coalesce(json_agg(json_build_object(
            'rating', r.rating, 'count', r.n)), '[]')
          from (select rating, count(*)::int as n from reviews
            where course_id = ${courses.id} and status = 'visible' group by rating) r)`,
          instructorCourseCount: sql<number>`(select count(*)::int from courses c
          where c.instructor_id = ${courses.instructorId} and c.status = 'published')`,
        })
        .from(courses)
        .innerJoin(users, eq(users.id, courses.instructorId))
        .leftJoin(categories, eq(categories.id, courses.categoryId))
        // The slugs as one JSON parameter, compared with = ANY to keep the index lookups (as the
        // playback repository's lesson reads).
        .where(sql`${courses.slug} = any (array(select jsonb_array_elements_text(${sql.placeholder('slugs')}::jsonb)))`)
        .prepare(name),
    );
    const rows = await prepared.execute({ slugs: JSON.stringify(slugs) });
    const bySlug = new Map(rows.map((row) => [row.card.slug, row]));
    return slugs.map((slug) => bySlug.get(slug));
  }

  /** What the page says about the signed-in reader; read every time, never cached. */
  async viewerState(userId: string, courseId: string): Promise<{ enrolled: boolean; wishlisted: boolean }> {
    const [row] = await this.primary
      .select({
        enrolled: sql<boolean>`exists (select 1 from ${enrollments} where ${enrollments.userId} = ${userId}
          and ${enrollments.courseId} = ${courseId} and ${enrollments.status} = 'active')`,
        wishlisted: sql<boolean>`exists (select 1 from ${wishlistItems} where ${wishlistItems.userId} = ${userId}
          and ${wishlistItems.courseId} = ${courseId})`,
      })
      .from(sql`(select 1) as one`);
    return { enrolled: Boolean(row?.enrolled), wishlisted: Boolean(row?.wishlisted) };
  }

  /** A user who teaches, or has taught: an instructor or admin role, or any course of theirs. */
  async instructor(id: string): Promise<{ id: string; displayName: string; role: string } | undefined> {
    const [row] = await this.primary
      .select({ id: users.id, displayName: users.displayName, role: users.role })
      .from(users)
      .where(and(eq(users.id, id), isNull(users.deletedAt)));
    return row;
  }

  /** Over the instructor's published courses; the rating is weighted by each course's review count. */
  async instructorStats(id: string) {
    const [row] = await this.primary
      .select({
        courseCount: sql<number>`count(*)::int`,
        studentCount: sql<number>`coalesce(sum(${courses.enrollmentCount}), 0)::int`,
        ratingCount: sql<number>`coalesce(sum(${courses.ratingCount}), 0)::int`,
        ratingAverage: sql<number>`coalesce(round(sum(${courses.ratingAverage} * ${courses.ratingCount})
          / nullif(sum(${courses.ratingCount}), 0), 2), 0)::float8`,
      })
      .from(courses)
      .where(and(eq(courses.instructorId, id), published));
    return row ?? { courseCount: 0, studentCount: 0, ratingCount: 0, ratingAverage: 0 };
  }

  async lessonWithCourse(lessonId: string) {
    const [row] = await this.db
      .select({
        lesson: lessons,
        course: {
          id: courses.id,
          status: courses.status,
          instructorId: courses.instructorId,
          takenDownAt: courses.takenDownAt,
        },
      })
      .from(lessons)
      .innerJoin(courses, eq(courses.id, lessons.courseId))
      .where(eq(lessons.id, lessonId));
    return row;
  }

  async attachmentsOf(lessonId: string): Promise<AttachmentRow[]> {
    return this.db
      .select()
      .from(lessonAttachments)
      .where(eq(lessonAttachments.lessonId, lessonId))
      .orderBy(asc(lessonAttachments.createdAt), asc(lessonAttachments.id));
  }

  async attachment(lessonId: string, attachmentId: string): Promise<AttachmentRow | undefined> {
    const [row] = await this.db
      .select()
      .from(lessonAttachments)
      .where(and(eq(lessonAttachments.id, attachmentId), eq(lessonAttachments.lessonId, lessonId)));
    return row;
  }

  async slugOf(courseId: string): Promise<string | undefined> {
    const [row] = await this.primary.select({ slug: courses.slug }).from(courses).where(eq(courses.id, courseId));
    return row?.slug;
  }

  /** Admin search over every course, any status: title or slug substring. The primary: admins act on what they just changed. */
  async searchAll(query: { status?: CourseRow['status']; q?: string; page: number; pageSize: number }) {
    const conditions: SQL[] = [];
    if (query.status) conditions.push(eq(courses.status, query.status));
    if (query.q) {
      const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      conditions.push(or(sql`${courses.title} ilike ${pattern}`, sql`${courses.slug} ilike ${pattern}`)!);
    }
    const where = conditions.length ? and(...conditions) : undefined;
    const [items, [counted]] = await Promise.all([
      this.primary
        .select({ course: courses, instructorName: users.displayName })
        .from(courses)
        .innerJoin(users, eq(users.id, courses.instructorId))
        .where(where)
        .orderBy(desc(courses.createdAt), desc(courses.id))
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize),
      this.primary
        .select({ n: sql<number>`count(*)::int` })
        .from(courses)
        .where(where),
    ]);
    return { items, total: counted?.n ?? 0 };
  }
}
