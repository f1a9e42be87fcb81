import { pgEnum, pgTable, text, timestamp, uniqueIndex, uuid, index } from 'drizzle-orm/pg-core';
import { courses } from '../catalog/schema.js';
import { users } from '../users/schema.js';

const at = (name: string) => timestamp(name, { withTimezone: true });

/** pending: the course was completed and the PDF job is queued; issued: the PDF is stored. */
export const certificateStatus = pgEnum('certificate_status', ['pending', 'issued']);

/**
 * One certificate per student and course. Names and titles are copied at issue time: a certificate
 * states what was true when it was earned, even if the course is renamed later.
 */
export const certificates = pgTable(
  'certificates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The public, unguessable id printed on the certificate and in its verification URL. */
    code: text('code').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'restrict' }),
    status: certificateStatus('status').notNull().default('pending'),
    studentName: text('student_name').notNull(),
    courseTitle: text('course_title').notNull(),
    instructorName: text('instructor_name').notNull(),
    /** When the course was completed; the date printed on the certificate. */
    completedAt: at('completed_at').notNull(),
    issuedAt: at('issued_at'),
    /** Key in the certificates bucket, once issued. */
    pdfKey: text('pdf_key'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('certificates_code_key').on(t.code),
    uniqueIndex('certificates_user_course_key').on(t.userId, t.courseId),
    index('certificates_user_idx').on(t.userId, t.completedAt),
  ],
);
