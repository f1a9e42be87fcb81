import { sql } from 'drizzle-orm';
import { check, index, pgEnum, pgTable, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { courses } from '../catalog/schema.js';
import { users } from '../users/schema.js';

const at = (name: string) => timestamp(name, { withTimezone: true });

export const reviewStatus = pgEnum('review_status', ['visible', 'hidden']);

/**
 * One review per student per course. The text is stored exactly as written and rendered as text.
 * An erased account keeps its reviews (the user row stays, anonymised), so ratings do not move.
 */
export const reviews = pgTable(
  'reviews',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    rating: smallint('rating').notNull(),
    body: text('body').notNull().default(''),
    instructorReply: text('instructor_reply'),
    repliedAt: at('replied_at'),
    status: reviewStatus('status').notNull().default('visible'),
    hiddenReason: text('hidden_reason'),
    hiddenAt: at('hidden_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('reviews_course_user_key').on(t.courseId, t.userId),
    index('reviews_course_idx').on(t.courseId, t.status, t.createdAt),
    // The course page's rating distribution, counted from the index alone.
    index('reviews_course_rating_idx').on(t.courseId, t.status, t.rating),
    check('reviews_rating_range', sql`${t.rating} between 1 and 5`),
  ],
);

export const reviewReports = pgTable(
  'review_reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    reviewId: uuid('review_id')
      .notNull()
      .references(() => reviews.id, { onDelete: 'cascade' }),
    reporterId: uuid('reporter_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    reason: text('reason').notNull(),
    resolvedAt: at('resolved_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('review_reports_review_reporter_key').on(t.reviewId, t.reporterId),
    index('review_reports_open_idx').on(t.resolvedAt, t.createdAt),
  ],
);
