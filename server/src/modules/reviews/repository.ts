import { and, asc, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../platform/db/port.js';
import { courses } from '../catalog/schema.js';
import { users } from '../users/schema.js';
import { reviewReports, reviews } from './schema.js';

export type ReviewRow = typeof reviews.$inferSelect;
export type ReviewReportRow = typeof reviewReports.$inferSelect;
export type ReviewSort = 'newest' | 'highest' | 'lowest';

/** A review with what a reader sees of its author: an erased account has `deletedAt` set. */
export interface ReviewWithAuthor {
  review: ReviewRow;
  author: { id: string; displayName: string; deletedAt: Date | null };
}

/** The course fields the review rules need. */
export interface ReviewCourse {
  id: string;
  title: string;
  instructorId: string;
  status: 'draft' | 'published' | 'archived';
}

const ORDER: Record<ReviewSort, SQL[]> = {
  newest: [desc(reviews.createdAt), desc(reviews.id)],
  highest: [desc(reviews.rating), desc(reviews.createdAt), desc(reviews.id)],
  lowest: [asc(reviews.rating), desc(reviews.createdAt), desc(reviews.id)],
};

const reporters = alias(users, 'reporter');
const authorColumns = { id: users.id, displayName: users.displayName, deletedAt: users.deletedAt };

export class ReviewRepository {
  constructor(
    private readonly db: Db,
    private readonly primary: Db,
  ) {}

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.primary.transaction((tx) => work(tx));
  }

  async findCourse(courseId: string): Promise<ReviewCourse | undefined> {
    const [row] = await this.primary
      .select({ id: courses.id, title: courses.title, instructorId: courses.instructorId, status: courses.status })
      .from(courses)
      .where(eq(courses.id, courseId));
    return row;
  }

  /**
   * Locks the course row until the transaction ends, so review writes to one course take turns:
   * the rating recomputed afterwards then sees every review committed before it.
   */
  async lockCourse(tx: Db, courseId: string): Promise<ReviewCourse | undefined> {
    const [row] = await tx
      .select({ id: courses.id, title: courses.title, instructorId: courses.instructorId, status: courses.status })
      .from(courses)
      .where(eq(courses.id, courseId))
      .for('update');
    return row;
  }

  /** Undefined when the student already reviewed the course: the unique index decides, so a race cannot pass. */
  async insert(
    tx: Db,
    values: { courseId: string; userId: string; rating: number; body: string },
  ): Promise<ReviewRow | undefined> {
    const [row] = await tx.insert(reviews).values(values).onConflictDoNothing().returning();
    return row;
  }

  /** Moderation and replies; the review's own `updatedAt` is left alone (its author did not change it). */
  async update(
    tx: Db,
    id: string,
    patch: Partial<Pick<ReviewRow, 'instructorReply' | 'repliedAt' | 'status' | 'hiddenReason' | 'hiddenAt'>>,
  ): Promise<ReviewRow | undefined> {
    const [row] = await tx.update(reviews).set(patch).where(eq(reviews.id, id)).returning();
    return row;
  }

  /** The author's edit, dated by the database clock so it compares with `createdAt` (an edit shows as edited). */
  async edit(tx: Db, id: string, patch: { rating?: number; body?: string }): Promise<ReviewRow | undefined> {
    const [row] = await tx
      .update(reviews)
      .set({ ...patch, updatedAt: sql`now()` })
      .where(eq(reviews.id, id))
      .returning();
    return row;
  }

  /** Average and count from the visible reviews only, written onto the course in the caller's transaction. */
  async recomputeRating(tx: Db, courseId: string): Promise<{ average: number; count: number }> {
    const [row] = await tx
      .update(courses)
      .set({
        ratingAverage: sql`coalesce((select round(avg(${reviews.rating}), 2) from ${reviews}
          where ${reviews.courseId} = ${courseId} and ${reviews.status} = 'visible'), 0)`,
        ratingCount: sql`(select count(*)::int from ${reviews}
          where ${reviews.courseId} = ${courseId} and ${reviews.status} = 'visible')`,
      })
      .where(eq(courses.id, courseId))
      .returning({ average: courses.ratingAverage, count: courses.ratingCount });
    return row ?? { average: 0, count: 0 };
  }

  async findById(id: string): Promise<ReviewWithAuthor | undefined> {
    const [row] = await this.primary
      .select({ review: reviews, author: authorColumns })
      .from(reviews)
      .innerJoin(users, eq(users.id, reviews.userId))
      .where(eq(reviews.id, id));
    return row;
  }

  async findByAuthor(courseId: string, userId: string): Promise<ReviewWithAuthor | undefined> {
    const [row] = await this.primary
      .select({ review: reviews, author: authorColumns })
      .from(reviews)
      .innerJoin(users, eq(users.id, reviews.userId))
      .where(and(eq(reviews.courseId, courseId), eq(reviews.userId, userId)));
    return row;
  }

  async listVisible(query: { courseId: string; sort: ReviewSort; page: number; pageSize: number }) {
    const where = and(eq(reviews.courseId, query.courseId), eq(reviews.status, 'visible'));
    const [items, [counted]] = await Promise.all([
      this.db
        .select({ review: reviews, author: authorColumns })
        .from(reviews)
        .innerJoin(users, eq(users.id, reviews.userId))
        .where(where)
        .orderBy(...ORDER[query.sort])
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize),
      this.db
        .select({ n: sql<number>`count(*)::int` })
        .from(reviews)
        .where(where),
    ]);
    return { items, total: counted?.n ?? 0 };
  }

  /** Undefined when this user already reported this review. */
  async insertReport(values: { reviewId: string; reporterId: string; reason: string }) {
    const [row] = await this.primary.insert(reviewReports).values(values).onConflictDoNothing().returning();
    return row;
  }

  async resolveReports(tx: Db, reviewId: string, at: Date): Promise<void> {
    await tx
      .update(reviewReports)
      .set({ resolvedAt: at })
      .where(and(eq(reviewReports.reviewId, reviewId), isNull(reviewReports.resolvedAt)));
  }

  async listReports(query: { state: 'open' | 'resolved' | 'all'; page: number; pageSize: number }) {
    const where =
      query.state === 'open'
        ? isNull(reviewReports.resolvedAt)
        : query.state === 'resolved'
          ? sql`${reviewReports.resolvedAt} is not null`
          : undefined;
    const [items, [counted]] = await Promise.all([
      this.db
        .select({
          report: reviewReports,
          reporter: { id: reporters.id, displayName: reporters.displayName, deletedAt: reporters.deletedAt },
          review: reviews,
          author: authorColumns,
          course: { id: courses.id, slug: courses.slug, title: courses.title },
        })
        .from(reviewReports)
        .innerJoin(reviews, eq(reviews.id, reviewReports.reviewId))
        .innerJoin(users, eq(users.id, reviews.userId))
        .innerJoin(courses, eq(courses.id, reviews.courseId))
        .innerJoin(reporters, eq(reporters.id, reviewReports.reporterId))
        .where(where)
        .orderBy(desc(reviewReports.createdAt), desc(reviewReports.id))
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize),
      this.db
        .select({ n: sql<number>`count(*)::int` })
        .from(reviewReports)
        .where(where),
    ]);
    return { items, total: counted?.n ?? 0 };
  }

  /** For the data export: the user's reviews with the course they are about. */
  async allOf(userId: string) {
    return this.primary
      .select({ review: reviews, course: { id: courses.id, slug: courses.slug, title: courses.title } })
      .from(reviews)
      .innerJoin(courses, eq(courses.id, reviews.courseId))
      .where(eq(reviews.userId, userId))
      .orderBy(desc(reviews.createdAt));
  }

  async reportsBy(userId: string): Promise<ReviewReportRow[]> {
    return this.primary
      .select()
      .from(reviewReports)
      .where(eq(reviewReports.reporterId, userId))
      .orderBy(desc(reviewReports.createdAt));
  }
}
