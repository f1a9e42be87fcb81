import type { PageHead } from './head.js';
import { clip, escapeHtml, summarize } from './head.js';
import type { CoursePreview, InstructorPreview, SitemapEntry } from './repository.js';

export interface SeoStore {
  publishedCourse(slug: string): Promise<CoursePreview | undefined>;
  publishedInstructor(id: string): Promise<InstructorPreview | undefined>;
  sitemapEntries(): Promise<SitemapEntry[]>;
}

export interface SeoOptions {
  /** The site's public origin, e.g. https://lectio.example; URLs in tags and the sitemap are absolute. */
  publicUrl: string;
  /** Absolute URL of a course's cover JPEG, when it has one. */
  coverImageUrl?: (course: CoursePreview) => string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SITE_NAME = 'Lectio';
const MAX_SLUG_LENGTH = 200;

/** Server-side link previews (title, description, Open Graph), the sitemap and robots.txt. */
export class SeoService {
  private readonly origin: string;

  constructor(
    private readonly store: SeoStore,
    private readonly options: SeoOptions,
  ) {
    this.origin = options.publicUrl.replace(/\/+$/, '');
  }

  /** The head of a published course's page; undefined for anything else (the plain app shell). */
  async coursePage(slug: string): Promise<PageHead | undefined> {
    // Longer than any slug the catalog makes: not a course, and not worth a query.
    if (slug.length > MAX_SLUG_LENGTH) return undefined;
    const course = await this.store.publishedCourse(slug);
    if (!course) return undefined;
    // The subtitle is plain text; the description is Markdown and loses its markup.
    const description =
      (course.subtitle.trim() ? clip(course.subtitle) : summarize(course.description)) ||
      `${course.title} — ${course.instructorName}`;
    return {
      title: `${course.title} | ${SITE_NAME}`,
      description,
      url: `${this.origin}/courses/${encodeURIComponent(course.slug)}`,
      type: 'website',
      locale: course.language,
      image: this.options.coverImageUrl?.(course),
    };
  }

  async instructorPage(id: string): Promise<PageHead | undefined> {
    if (!UUID.test(id)) return undefined;
    const instructor = await this.store.publishedInstructor(id);
    if (!instructor) return undefined;
    const courses = instructor.courseTitles.join(' · ');
    const description =
      instructor.locale === 'ko'
        ? clip(`${instructor.displayName} 강사의 강의: ${courses}`)
        : clip(`Courses by ${instructor.displayName}: ${courses}`);
    return {
      title: `${instructor.displayName} | ${SITE_NAME}`,
      description,
      url: `${this.origin}/instructors/${instructor.id}`,
      type: 'profile',
      locale: instructor.locale,
    };
  }

  async sitemap(): Promise<string> {
    const entries = await this.store.sitemapEntries();
    const urls = entries.map(
      (e) =>
        `  <url><loc>${escapeHtml(this.origin + e.path)}</loc><lastmod>${e.lastModified.toISOString()}</lastmod></url>`,
    );
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
      ...urls,
      '</urlset>',
      '',
    ].join('\n');
  }

  robots(): string {
    // Account, studio and admin pages are private or empty without a session: nothing to index.
    return [
      'User-agent: *',
      'Disallow: /api/',
      'Disallow: /studio',
      'Disallow: /admin',
      'Disallow: /settings',
      'Disallow: /dev/',
      'Allow: /',
      '',
      `Sitemap: ${this.origin}/sitemap.xml`,
      '',
    ].join('\n');
  }
}
