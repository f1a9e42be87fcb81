import { sql } from 'drizzle-orm';
import { bigint, customType, index, integer, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { courseLanguage, courseLevel, courses, courseStatus, currency } from '../catalog/schema.js';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * One search document per published course, rebuilt from the course on every change (and by
 * `lectio reindex`). PostgreSQL has no Korean parser, so Korean text is indexed as application-built
 * character bigrams in `bigrams`; the rest (Latin words, Hangul blanked out) goes through the
 * `english` configuration (stemming) in `words`; `title_folded` feeds pg_trgm for typo tolerance
 * and autocomplete.
 *
 * The course columns search filters, sorts and counts facets on are copied here, so a search reads
 * one row per match instead of joining `courses` for every match (the cost that grew with the
 * number of matches). The indexer writes them with the document; a trigger on `courses` (migration
 * 0004) copies later changes, because the popularity counters are written by the enrollments,
 * reviews and view-count modules, outside the catalog's write path.
 */
export const courseSearchDocuments = pgTable(
  'course_search_documents',
  {
    courseId: uuid('course_id')
      .primaryKey()
      .references(() => courses.id, { onDelete: 'cascade' }),
    words: tsvector('words').notNull(),
    bigrams: tsvector('bigrams').notNull(),
    titleFolded: text('title_folded').notNull(),
    // Copies of courses' columns of the same names (see above). The category's parent is not
    // copied: a category filter resolves to ids through the 40-row categories table instead, so
    // moving a subcategory cannot leave documents stale.
    // Only published courses have documents, but the status is copied too so a document left
    // behind by a bug (or a status changed outside the catalog) never shows a draft.
    status: courseStatus('status').notNull().default('published'),
    categoryId: uuid('category_id'),
    level: courseLevel('level').notNull().default('all'),
    language: courseLanguage('language').notNull().default('ko'),
    priceAmount: integer('price_amount'),
    currency: currency('currency').notNull().default('KRW'),
    ratingAverage: numeric('rating_average', { precision: 3, scale: 2, mode: 'number' }).notNull().default(0),
    ratingCount: integer('rating_count').notNull().default(0),
    enrollmentCount: integer('enrollment_count').notNull().default(0),
    viewCount: bigint('view_count', { mode: 'number' }).notNull().default(0),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('course_search_words_idx').using('gin', t.words),
    index('course_search_bigrams_idx').using('gin', t.bigrams),
    index('course_search_title_trgm_idx').using('gin', sql`${t.titleFolded} gin_trgm_ops`),
    // Sort keys of the published documents, so a search without query text (browsing) reads its
    // page from the front of an index and stops after it, instead of sorting every published
    // course. Each index holds only the leading key(s) of its order (repository.ts `orderBy`); the
    // planner sorts the few ties incrementally. NOT NULL columns are indexed `desc nulls first`,
    // which is what a plain `order by … desc` means: the planner does not use an index whose
    // nulls order differs, even on a column without nulls. The view count (rewritten by every view flush) is
    // deliberately in none of them: an update that changes no indexed column can stay HOT and
    // skips the GIN indexes.
    index('course_search_popular_idx')
      .on(t.enrollmentCount.desc().nullsFirst())
      .where(sql`status = 'published'`),
    index('course_search_rating_idx')
      .on(t.ratingAverage.desc().nullsFirst(), t.ratingCount.desc().nullsFirst())
      .where(sql`status = 'published'`),
    index('course_search_newest_idx')
      .on(t.publishedAt.desc().nullsLast(), t.courseId)
      .where(sql`status = 'published'`),
    index('course_search_price_asc_idx')
      .on(t.priceAmount.asc().nullsLast(), t.enrollmentCount.desc().nullsFirst())
      .where(sql`status = 'published'`),
    index('course_search_price_desc_idx')
      .on(t.priceAmount.desc().nullsLast(), t.enrollmentCount.desc().nullsFirst())
      .where(sql`status = 'published'`),
    // What browsing counts totals and facets on (repository.ts `browseCountSet`), for an
    // index-only scan; led by the random course id so the capped count is an unbiased sample. The
    // other columns only ride along (Drizzle has no INCLUDE; after a unique id they never order).
    index('course_search_facets_idx')
      .on(t.courseId, t.categoryId, t.level, t.language, t.priceAmount, t.currency, t.ratingAverage)
      .where(sql`status = 'published'`),
  ],
);
