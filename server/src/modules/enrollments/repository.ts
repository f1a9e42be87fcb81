import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { cardColumns, type CardRow } from '../catalog/repository.js';
import { categories, courses } from '../catalog/schema.js';
import { users } from '../users/schema.js';
import { enrollments, wishlistItems } from './schema.js';

export type EnrollmentRow = typeof enrollments.$inferSelect;
export type EnrollmentSource = EnrollmentRow['source'];

/** The course fields enrolling decides on. */
export interface EnrollableCourse {
  id: string;
  instructorId: string;
  status: 'draft' | 'published' | 'archived';
  priceAmount: number | null;
}

/**
 * Everything here reads the primary: a student's own lists must show the enrollment or wish they
 * have just made, which a lagging replica would not.
 */
export class EnrollmentRepository {
  constructor(private readonly primary: Db) {}

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.primary.transaction((tx) => work(tx));
  }

  async findCourse(courseId: string, tx: Db = this.primary): Promise<EnrollableCourse | undefined> {
    const [row] = await tx
      .select({
        id: courses.id,
        instructorId: courses.instructorId,
        status: courses.status,
        priceAmount: courses.priceAmount,
      })
      .from(courses)
      .where(eq(courses.id, courseId));
    return row;
  }

  /**
   * Grants access, inside the caller's transaction: the free enrollment and, with commerce, the
   * paid order call this same method so there is one record whatever the path. A revoked
   * enrollment comes back to life; an active one is left alone and `undefined` is returned, the
   * unique index making two concurrent calls produce one row. The course's student count moves
   * in the same transaction.
   */
  async enroll(
    tx: Db,
    values: { userId: string; courseId: string; source: EnrollmentSource; orderId?: string | null; at: Date },
  ): Promise<EnrollmentRow | undefined> {
    const [row] = await tx
      .insert(enrollments)
      .values({
        userId: values.userId,
        courseId: values.courseId,
        source: values.source,
        orderId: values.orderId ?? null,
        createdAt: values.at,
      })
      .onConflictDoUpdate({
        target: [enrollments.userId, enrollments.courseId],
        set: {
          status: 'active',
          source: values.source,
          orderId: values.orderId ?? null,
          revokedAt: null,
          revokedReason: null,
          createdAt: values.at,
        },
        setWhere: eq(enrollments.status, 'revoked'),
      })
      .returning();
    if (row) {
      await tx
        .update(courses)
        .set({ enrollmentCount: sql`${courses.enrollmentCount} + 1` })
        .where(eq(courses.id, values.courseId));
    }
    return row;
  }

  async isActive(tx: Db, userId: string, courseId: string): Promise<boolean> {
    const [row] = await tx
      .select({ id: enrollments.id })
      .from(enrollments)
      .where(and(eq(enrollments.userId, userId), eq(enrollments.courseId, courseId), eq(enrollments.status, 'active')));
    return row !== undefined;
  }

  /**
   * Ends access (a refund, an admin decision), inside the caller's transaction; false when not
   * active. With `orderId` only the access that order granted ends: refunding a second payment for
   * a course, or an order whose student had access some other way, leaves that access alone.
   */
  async revoke(
    tx: Db,
    values: { userId: string; courseId: string; reason: string; at: Date; orderId?: string },
  ): Promise<boolean> {
    const [row] = await tx
      .update(enrollments)
      .set({ status: 'revoked', revokedAt: values.at, revokedReason: values.reason })
      .where(
        and(
          eq(enrollments.userId, values.userId),
          eq(enrollments.courseId, values.courseId),
          eq(enrollments.status, 'active'),
          values.orderId === undefined ? undefined : eq(enrollments.orderId, values.orderId),
        ),
      )
      .returning({ id: enrollments.id });
    if (!row) return false;
    await tx
      .update(courses)
      .set({ enrollmentCount: sql`greatest(${courses.enrollmentCount} - 1, 0)` })
      .where(eq(courses.id, values.courseId));
    return true;
  }

  /** The user's active enrollments, most recent first, with their course's card. */
  async activeOf(userId: string, paging: { page: number; pageSize: number }) {
    const where = and(eq(enrollments.userId, userId), eq(enrollments.status, 'active'));
    const [items, [counted]] = await Promise.all([
      this.primary
        .select({ card: cardColumns, enrolledAt: enrollments.createdAt })
        .from(enrollments)
        .innerJoin(courses, eq(courses.id, enrollments.courseId))
        .innerJoin(users, eq(users.id, courses.instructorId))
        .leftJoin(categories, eq(categories.id, courses.categoryId))
        .where(where)
        .orderBy(desc(enrollments.createdAt), desc(enrollments.id))
        .limit(paging.pageSize)
        .offset((paging.page - 1) * paging.pageSize),
      this.primary
        .select({ n: sql<number>`count(*)::int` })
        .from(enrollments)
        .where(where),
    ]);
    return { items: items as { card: CardRow; enrolledAt: Date }[], total: counted?.n ?? 0 };
  }

  /** Idempotent: wishing twice keeps one entry. */
  async addWish(userId: string, courseId: string): Promise<void> {
    await this.primary.insert(wishlistItems).values({ userId, courseId }).onConflictDoNothing();
  }

  async removeWish(userId: string, courseId: string): Promise<void> {
    await this.primary
      .delete(wishlistItems)
      .where(and(eq(wishlistItems.userId, userId), eq(wishlistItems.courseId, courseId)));
  }

  /** Wished courses still on sale (a course unpublished since then drops out), newest wish first. */
  async wishlistOf(userId: string, paging: { page: number; pageSize: number }) {
    const where = and(eq(wishlistItems.userId, userId), eq(courses.status, 'published'));
    const [items, [counted]] = await Promise.all([
      this.primary
        .select({ card: cardColumns })
        .from(wishlistItems)
        .innerJoin(courses, eq(courses.id, wishlistItems.courseId))
        .innerJoin(users, eq(users.id, courses.instructorId))
        .leftJoin(categories, eq(categories.id, courses.categoryId))
        .where(where)
        .orderBy(desc(wishlistItems.createdAt), desc(wishlistItems.courseId))
        .limit(paging.pageSize)
        .offset((paging.page - 1) * paging.pageSize),
      this.primary
        .select({ n: sql<number>`count(*)::int` })
        .from(wishlistItems)
        .innerJoin(courses, eq(courses.id, wishlistItems.courseId))
        .where(where),
    ]);
    return { items: items.map((i) => i.card as CardRow), total: counted?.n ?? 0 };
  }

  /** For the data export: every enrollment, revoked ones included, with the course's title. */
  async allOf(userId: string) {
    return this.primary
      .select({ enrollment: enrollments, course: { id: courses.id, title: courses.title } })
      .from(enrollments)
      .innerJoin(courses, eq(courses.id, enrollments.courseId))
      .where(eq(enrollments.userId, userId))
      .orderBy(desc(enrollments.createdAt));
  }

  async wishesOf(userId: string) {
    return this.primary
      .select({ addedAt: wishlistItems.createdAt, course: { id: courses.id, title: courses.title } })
      .from(wishlistItems)
      .innerJoin(courses, eq(courses.id, wishlistItems.courseId))
      .where(eq(wishlistItems.userId, userId))
      .orderBy(desc(wishlistItems.createdAt));
  }

  async deleteWishesOf(userId: string): Promise<void> {
    await this.primary.delete(wishlistItems).where(eq(wishlistItems.userId, userId));
  }
}
