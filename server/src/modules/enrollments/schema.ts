import { index, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { courses } from '../catalog/schema.js';
import { orders } from '../payments/schema.js';
import { users } from '../users/schema.js';

const at = (name: string) => timestamp(name, { withTimezone: true });

/** How the student got in: a free course, a paid order (commerce issue), or an admin grant. */
export const enrollmentSource = pgEnum('enrollment_source', ['free', 'order', 'admin']);
export const enrollmentStatus = pgEnum('enrollment_status', ['active', 'revoked']);

/** The one record that grants access to a course, whatever module asks. */
export const enrollments = pgTable(
  'enrollments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'restrict' }),
    source: enrollmentSource('source').notNull(),
    /** The paid order that granted access (source `order`). */
    orderId: uuid('order_id').references(() => orders.id, { onDelete: 'restrict' }),
    status: enrollmentStatus('status').notNull().default('active'),
    revokedAt: at('revoked_at'),
    revokedReason: text('revoked_reason'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('enrollments_user_course_key').on(t.userId, t.courseId),
    index('enrollments_course_idx').on(t.courseId, t.status),
  ],
);

export const wishlistItems = pgTable(
  'wishlist_items',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.courseId] }), index('wishlist_items_user_idx').on(t.userId, t.createdAt)],
);
