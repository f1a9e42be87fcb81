import { and, asc, count, desc, eq, lt, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../platform/db/port.js';
import { courses } from '../catalog/schema.js';
import { users } from '../users/schema.js';
import { certificates } from './schema.js';

export type CertificateRow = typeof certificates.$inferSelect;

/** A certificate as shown: its row and the course's current slug when the course is public. */
export interface ListedCertificate extends CertificateRow {
  courseSlug: string | null;
}

/** What a certificate prints, copied from the live rows at the moment of completion. */
export interface CertificateSnapshot {
  studentName: string;
  courseTitle: string;
  instructorName: string;
}

/** A link to the course only while its page is public; an archived course still backs its certificates. */
const publicSlug = sql<string | null>`case when ${courses.status} = 'published' then ${courses.slug} end`;

/**
 * The primary throughout: a certificate is looked up right after the job issued it (the student
 * follows the mail's link at once), which a lagging replica would answer with "pending".
 */
export class CertificateRepository {
  constructor(private readonly primary: Db) {}

  async snapshot(userId: string, courseId: string): Promise<CertificateSnapshot | undefined> {
    const instructor = alias(users, 'instructor');
    const [row] = await this.primary
      .select({
        studentName: users.displayName,
        courseTitle: courses.title,
        instructorName: instructor.displayName,
      })
      .from(courses)
      .innerJoin(instructor, eq(instructor.id, courses.instructorId))
      .innerJoin(users, eq(users.id, userId))
      .where(eq(courses.id, courseId));
    return row;
  }

  /**
   * Inserts a pending certificate unless one exists for the student and course. Undefined when
   * nothing was inserted: the student already has one, or (one in 2^60) the code was taken.
   */
  async insertPending(values: {
    code: string;
    userId: string;
    courseId: string;
    completedAt: Date;
    snapshot: CertificateSnapshot;
  }): Promise<CertificateRow | undefined> {
    const [row] = await this.primary
      .insert(certificates)
      .values({
        code: values.code,
        userId: values.userId,
        courseId: values.courseId,
        completedAt: values.completedAt,
        ...values.snapshot,
      })
      .onConflictDoNothing()
      .returning();
    return row;
  }

  async findOf(userId: string, courseId: string): Promise<CertificateRow | undefined> {
    const [row] = await this.primary
      .select()
      .from(certificates)
      .where(and(eq(certificates.userId, userId), eq(certificates.courseId, courseId)));
    return row;
  }

  async findById(id: string): Promise<CertificateRow | undefined> {
    const [row] = await this.primary.select().from(certificates).where(eq(certificates.id, id));
    return row;
  }

  async findByCode(code: string): Promise<ListedCertificate | undefined> {
    const [row] = await this.primary
      .select({ certificate: certificates, courseSlug: publicSlug })
      .from(certificates)
      .innerJoin(courses, eq(courses.id, certificates.courseId))
      .where(eq(certificates.code, code));
    return row && { ...row.certificate, courseSlug: row.courseSlug };
  }

  /**
   * Pending → issued with its file, in one statement: the row never says issued without a PDF
   * to serve. False when it was issued already (a second run of the job).
   */
  async markIssued(id: string, pdfKey: string, issuedAt: Date): Promise<boolean> {
    const rows = await this.primary
      .update(certificates)
      .set({ status: 'issued', pdfKey, issuedAt })
      .where(and(eq(certificates.id, id), eq(certificates.status, 'pending')))
      .returning({ id: certificates.id });
    return rows.length > 0;
  }

  /** Certificates still pending since before `cutoff`, oldest first: their issue job was lost or gave up. */
  async pendingSince(cutoff: Date, limit: number): Promise<{ id: string }[]> {
    return this.primary
      .select({ id: certificates.id })
      .from(certificates)
      .where(and(eq(certificates.status, 'pending'), lt(certificates.createdAt, cutoff)))
      .orderBy(asc(certificates.createdAt))
      .limit(limit);
  }

  /** Where the "issued" mail goes; undefined for an erased account, which gets no mail. */
  async recipientOf(userId: string): Promise<{ email: string } | undefined> {
    const [row] = await this.primary
      .select({ email: users.email, deletedAt: users.deletedAt })
      .from(users)
      .where(eq(users.id, userId));
    return row && !row.deletedAt ? { email: row.email } : undefined;
  }

  /** The student's certificates, most recently earned first. */
  async listOf(userId: string, paging: { page: number; pageSize: number }) {
    const [items, [counted]] = await Promise.all([
      this.primary
        .select({ certificate: certificates, courseSlug: publicSlug })
        .from(certificates)
        .innerJoin(courses, eq(courses.id, certificates.courseId))
        .where(eq(certificates.userId, userId))
        .orderBy(desc(certificates.completedAt), desc(certificates.id))
        .limit(paging.pageSize)
        .offset((paging.page - 1) * paging.pageSize),
      this.primary.select({ n: count() }).from(certificates).where(eq(certificates.userId, userId)),
    ]);
    return {
      items: items.map((r): ListedCertificate => ({ ...r.certificate, courseSlug: r.courseSlug })),
      total: counted?.n ?? 0,
    };
  }
}
