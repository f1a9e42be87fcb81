import { and, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { courses } from '../catalog/schema.js';
import { violatedUniqueIndex } from './repository.js';
import { coupons } from './schema.js';

export type CouponRow = typeof coupons.$inferSelect;
export type NewCoupon = typeof coupons.$inferInsert;

/** A coupon with the course it is for (null: site-wide). */
export interface ListedCoupon {
  coupon: CouponRow;
  course: { id: string; title: string } | null;
}

/** Which coupons a studio list shows: an instructor's own courses' coupons, or (admins) any. */
export type CouponScope = { instructorId: string } | 'all';

/**
 * The primary throughout: an instructor creates a coupon and looks at the list at once, and
 * `usedCount` moves with every checkout.
 */
export class CouponRepository {
  constructor(private readonly primary: Db) {}

  async course(
    courseId: string,
  ): Promise<{ id: string; title: string; instructorId: string; currency: 'KRW' | 'USD' } | undefined> {
    const [row] = await this.primary
      .select({ id: courses.id, title: courses.title, instructorId: courses.instructorId, currency: courses.currency })
      .from(courses)
      .where(eq(courses.id, courseId));
    return row;
  }

  /** Undefined when the code is taken (the unique index decides, so two creators cannot both win). */
  async insert(values: NewCoupon): Promise<CouponRow | undefined> {
    try {
      const [row] = await this.primary.insert(coupons).values(values).returning();
      return row;
    } catch (error) {
      if (violatedUniqueIndex(error) !== undefined) return undefined;
      throw error;
    }
  }

  async find(id: string): Promise<ListedCoupon | undefined> {
    const [row] = await this.primary
      .select({ coupon: coupons, course: { id: courses.id, title: courses.title } })
      .from(coupons)
      .leftJoin(courses, eq(courses.id, coupons.courseId))
      .where(eq(coupons.id, id));
    return row && { coupon: row.coupon, course: row.course ?? null };
  }

  /**
   * Changes what the studio may change. A new `maxUses` only applies when it is not below the
   * uses already reserved, checked in the same statement as the write, so a checkout reserving
   * a use meanwhile cannot slip past it; undefined when it was below.
   */
  async update(
    id: string,
    patch: { active?: boolean; expiresAt?: Date | null; maxUses?: number | null },
  ): Promise<CouponRow | undefined> {
    const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length === 0) return (await this.find(id))?.coupon;
    const guard =
      patch.maxUses === undefined || patch.maxUses === null ? undefined : sql`${coupons.usedCount} <= ${patch.maxUses}`;
    const [row] = await this.primary
      .update(coupons)
      .set(set)
      .where(and(eq(coupons.id, id), guard))
      .returning();
    return row;
  }

  async list(
    scope: CouponScope,
    filter: { courseId?: string },
    paging: { page: number; pageSize: number },
  ): Promise<{ items: ListedCoupon[]; total: number }> {
    const conditions: (SQL | undefined)[] = [];
    if (scope !== 'all') {
      // An instructor's own courses only: site-wide coupons are the admins' business.
      conditions.push(
        inArray(
          coupons.courseId,
          this.primary.select({ id: courses.id }).from(courses).where(eq(courses.instructorId, scope.instructorId)),
        ),
      );
    }
    if (filter.courseId) conditions.push(eq(coupons.courseId, filter.courseId));
    const where = and(...conditions);
    const [rows, [counted]] = await Promise.all([
      this.primary
        .select({ coupon: coupons, course: { id: courses.id, title: courses.title } })
        .from(coupons)
        .leftJoin(courses, eq(courses.id, coupons.courseId))
        .where(where)
        .orderBy(desc(coupons.createdAt), desc(coupons.id))
        .limit(paging.pageSize)
        .offset((paging.page - 1) * paging.pageSize),
      this.primary.select({ n: count() }).from(coupons).where(where),
    ]);
    return {
      items: rows.map((r) => ({ coupon: r.coupon, course: r.course ?? null })),
      total: counted?.n ?? 0,
    };
  }
}
