import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  numeric,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { users } from '../users/schema.js';
import { videos } from '../videos/schema.js';

const at = (name: string) => timestamp(name, { withTimezone: true });

export const courseStatus = pgEnum('course_status', ['draft', 'published', 'archived']);
export const courseLevel = pgEnum('course_level', ['beginner', 'intermediate', 'advanced', 'all']);
export const courseLanguage = pgEnum('course_language', ['ko', 'en']);
export const currency = pgEnum('currency', ['KRW', 'USD']);
export const lessonType = pgEnum('lesson_type', ['video', 'text', 'attachment']);

/** Two levels: a top category (parent null) and its subcategories. The service refuses a third. */
export const categories = pgTable(
  'categories',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    parentId: uuid('parent_id').references((): AnyPgColumn => categories.id, { onDelete: 'restrict' }),
    slug: text('slug').notNull(),
    nameKo: text('name_ko').notNull(),
    nameEn: text('name_en').notNull(),
    position: integer('position').notNull().default(0),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('categories_slug_key').on(t.slug), index('categories_parent_idx').on(t.parentId, t.position)],
);

/**
 * The public course list's sorts: each descending on these columns in this order, ending in the id
 * so the order is total and a page boundary never splits ties. The list's indexes below and the
 * repository's ORDER BY are both made from this, so they cannot drift apart.
 */
export const LIST_SORTS = {
  newest: ['publishedAt', 'id'],
  popular: ['enrollmentCount', 'viewCount', 'publishedAt', 'id'],
  rating: ['ratingAverage', 'ratingCount', 'publishedAt', 'id'],
} as const;

export const courses = pgTable(
  'courses',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    instructorId: uuid('instructor_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    categoryId: uuid('category_id').references(() => categories.id, { onDelete: 'set null' }),
    slug: text('slug').notNull(),
    title: text('title').notNull(),
    subtitle: text('subtitle').notNull().default(''),
    /** Markdown as the instructor wrote it; rendered without raw HTML wherever it is shown. */
    description: text('description').notNull().default(''),
    level: courseLevel('level').notNull().default('all'),
    language: courseLanguage('language').notNull().default('ko'),
    /** Minor units of `currency` (KRW has none, USD cents). Null until the instructor sets a price; 0 = free. */
    priceAmount: integer('price_amount'),
    currency: currency('currency').notNull().default('KRW'),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    status: courseStatus('status').notNull().default('draft'),
    /** Storage key prefix of the processed cover images; the version busts caches on a new upload. */
    coverKey: text('cover_key'),
    coverVersion: integer('cover_version').notNull().default(0),
    /** Set by an admin takedown: the course is unpublished and the reason shown to its instructor. */
    takedownReason: text('takedown_reason'),
    takenDownAt: at('taken_down_at'),
    takenDownBy: uuid('taken_down_by').references(() => users.id, { onDelete: 'set null' }),
    // Denormalised for listing and ranking; written in the same transaction as what changes them.
    ratingAverage: numeric('rating_average', { precision: 3, scale: 2, mode: 'number' }).notNull().default(0),
    ratingCount: integer('rating_count').notNull().default(0),
    enrollmentCount: integer('enrollment_count').notNull().default(0),
    /** Flushed from the cache's real-time counters by the low-priority stats job. */
    viewCount: bigint('view_count', { mode: 'number' }).notNull().default(0),
    publishedAt: at('published_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('courses_slug_key').on(t.slug),
    index('courses_instructor_idx').on(t.instructorId, t.createdAt),
    index('courses_published_idx').on(t.status, t.publishedAt),
    index('courses_category_idx').on(t.categoryId, t.status),
    index('courses_tags_idx').using('gin', t.tags),
    // Per list sort (LIST_SORTS), two partial indexes in exactly its ORDER BY (DESC NULLS FIRST,
    // PostgreSQL's default for DESC, else the index cannot give the order): over all published
    // courses, and led by the category, so a page of all courses or of one category is one index
    // range. A page's ids come from an index-only scan and only those rows are joined
    // (CatalogRepository.pagePublished). Without the category's, a category page read every course
    // of the category from the table and sorted them: 1-3 ms of PostgreSQL per uncached page.
    ...(Object.keys(LIST_SORTS) as (keyof typeof LIST_SORTS)[]).flatMap((sort) => {
      // Made anew for each index: Drizzle's `.on()` takes a column's direction and resets it.
      const ordered = () => {
        const [first, ...rest] = LIST_SORTS[sort].map((key) => t[key].desc().nullsFirst());
        return [first!, ...rest] as const;
      };
      const published = sql`${t.status} = 'published'`;
      return [
        index(`courses_list_${sort}_idx`)
          .on(...ordered())
          .where(published),
        index(`courses_category_list_${sort}_idx`)
          .on(t.categoryId, ...ordered())
          .where(published),
      ];
    }),
    check('courses_price_nonnegative', sql`${t.priceAmount} is null or ${t.priceAmount} >= 0`),
    check('courses_rating_range', sql`${t.ratingAverage} >= 0 and ${t.ratingAverage} <= 5`),
  ],
);

export const courseSections = pgTable(
  'course_sections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    position: integer('position').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('course_sections_course_idx').on(t.courseId, t.position)],
);

export const lessons = pgTable(
  'lessons',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    sectionId: uuid('section_id')
      .notNull()
      .references(() => courseSections.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    type: lessonType('type').notNull(),
    position: integer('position').notNull(),
    isFreePreview: boolean('is_free_preview').notNull().default(false),
    durationSeconds: integer('duration_seconds').notNull().default(0),
    /** Markdown body of a text lesson (or notes under a video). */
    body: text('body').notNull().default(''),
    /** The lesson's video; deleting a video leaves the lesson without one rather than failing. */
    videoId: uuid('video_id').references(() => videos.id, { onDelete: 'set null' }),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('lessons_section_idx').on(t.sectionId, t.position),
    index('lessons_course_idx').on(t.courseId),
    check('lessons_duration_nonnegative', sql`${t.durationSeconds} >= 0`),
  ],
);

/** Files attached to a lesson, in the attachments bucket; handed out through short-lived signed URLs. */
export const lessonAttachments = pgTable(
  'lesson_attachments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    lessonId: uuid('lesson_id')
      .notNull()
      .references(() => lessons.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    storageKey: text('storage_key').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('lesson_attachments_lesson_idx').on(t.lessonId),
    uniqueIndex('lesson_attachments_key').on(t.storageKey),
  ],
);
