import { and, desc, eq, isNull, max, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { courses } from '../catalog/schema.js';
import { users } from '../users/schema.js';

/** Sitemaps hold at most 50,000 URLs; past that a sitemap index would be needed. */
export const SITEMAP_URL_LIMIT = 50_000;

export interface CoursePreview {
  id: string;
  slug: string;
  title: string;
  subtitle: string;
  description: string;
  language: 'ko' | 'en';
  coverKey: string | null;
  coverVersion: number;
  instructorName: string;
}

export interface InstructorPreview {
  id: string;
  displayName: string;
  locale: 'ko' | 'en';
  courseTitles: string[];
}

export interface SitemapEntry {
  path: string;
  lastModified: Date;
}

/** What link previews and the sitemap show: published courses and the instructors behind them. */
export class SeoRepository {
  constructor(private readonly db: Db) {}

  async publishedCourse(slug: string): Promise<CoursePreview | undefined> {
    const [row] = await this.db
      .select({
        id: courses.id,
        slug: courses.slug,
        title: courses.title,
        subtitle: courses.subtitle,
        description: courses.description,
        language: courses.language,
        coverKey: courses.coverKey,
        coverVersion: courses.coverVersion,
        instructorName: users.displayName,
      })
      .from(courses)
      .innerJoin(users, eq(users.id, courses.instructorId))
      .where(and(eq(courses.slug, slug), eq(courses.status, 'published')))
      .limit(1);
    return row;
  }

  /** An instructor with at least one published course; anyone else has no public page to preview. */
  async publishedInstructor(id: string): Promise<InstructorPreview | undefined> {
    const rows = await this.db
      .select({ id: users.id, displayName: users.displayName, locale: users.locale, title: courses.title })
      .from(users)
      .innerJoin(courses, and(eq(courses.instructorId, users.id), eq(courses.status, 'published')))
      .where(and(eq(users.id, id), eq(users.status, 'active'), isNull(users.deletedAt)))
      .orderBy(desc(courses.publishedAt))
      .limit(20);
    const first = rows[0];
    if (!first) return undefined;
    return {
      id: first.id,
      displayName: first.displayName,
      locale: first.locale,
      courseTitles: rows.map((r) => r.title),
    };
  }

  async sitemapEntries(): Promise<SitemapEntry[]> {
    const courseRows = await this.db
      .select({ slug: courses.slug, updatedAt: courses.updatedAt })
      .from(courses)
      .where(eq(courses.status, 'published'))
      .orderBy(desc(courses.updatedAt))
      .limit(SITEMAP_URL_LIMIT);
    const lastChange = max(courses.updatedAt);
    const instructorRows = await this.db
      .select({ id: courses.instructorId, updatedAt: lastChange })
      .from(courses)
      .innerJoin(users, eq(users.id, courses.instructorId))
      .where(and(eq(courses.status, 'published'), eq(users.status, 'active'), isNull(users.deletedAt)))
      .groupBy(courses.instructorId)
      .orderBy(sql`${lastChange} desc`)
      .limit(Math.max(0, SITEMAP_URL_LIMIT - courseRows.length));
    return [
      ...courseRows.map((r) => ({ path: `/courses/${encodeURIComponent(r.slug)}`, lastModified: r.updatedAt })),
      ...instructorRows.map((r) => ({ path: `/instructors/${r.id}`, lastModified: r.updatedAt ?? new Date(0) })),
    ];
  }
}
