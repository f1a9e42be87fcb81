import { sql } from 'drizzle-orm';
import { customType, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { courses } from '../catalog/schema.js';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * One search document per published course, rebuilt from the course on every change (and by
 * `lectio reindex`). PostgreSQL has no Korean parser, so Korean text is indexed as application-built
 * character bigrams in `bigrams`; English goes through the `english` configuration (stemming) in
 * `words`; `title_folded` feeds pg_trgm for typo tolerance and autocomplete.
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
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('course_search_words_idx').using('gin', t.words),
    index('course_search_bigrams_idx').using('gin', t.bigrams),
    index('course_search_title_trgm_idx').using('gin', sql`${t.titleFolded} gin_trgm_ops`),
  ],
);
