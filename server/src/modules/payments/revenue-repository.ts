import { and, asc, count, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { courses } from '../catalog/schema.js';
import { orders } from './schema.js';

export interface RevenueRow {
  courseId: string;
  courseTitle: string;
  /** YYYY-MM of the payment, in UTC. */
  month: string;
  currency: 'KRW' | 'USD';
  orders: number;
  gross: number;
  refunded: number;
}

// The month of the payment in UTC whatever the session's time zone: `at time zone` of a
// timestamptz gives the wall-clock time there.
const paidMonth = sql<string>`to_char(${orders.paidAt} at time zone 'UTC', 'YYYY-MM')`;

/**
 * Sales of one instructor's courses. Reads the replica: revenue is looked at, not acted on, and a
 * few seconds of lag does not matter there.
 */
export class RevenueRepository {
  constructor(private readonly db: Db) {}

  /**
   * Orders that took money (paid, and refunded ones: they were paid first), by course, month of
   * payment and currency, for payments in [from, until).
   */
  async byCourseAndMonth(instructorId: string, from: Date, until: Date): Promise<RevenueRow[]> {
    const rows = await this.db
      .select({
        courseId: orders.courseId,
        courseTitle: courses.title,
        month: paidMonth,
        currency: orders.currency,
        orders: count(),
        gross: sql<number>`coalesce(sum(${orders.amount}), 0)::float8`.mapWith(Number),
        // Every amount given back, a partial refund of a still-paid order included.
        refunded: sql<number>`coalesce(sum(${orders.refundedAmount}), 0)::float8`.mapWith(Number),
      })
      .from(orders)
      .innerJoin(courses, eq(courses.id, orders.courseId))
      .where(
        and(
          eq(courses.instructorId, instructorId),
          inArray(orders.status, ['paid', 'refunded']),
          gte(orders.paidAt, from),
          lt(orders.paidAt, until),
        ),
      )
      .groupBy(orders.courseId, courses.title, paidMonth, orders.currency)
      .orderBy(asc(paidMonth), asc(courses.title), asc(orders.courseId), asc(orders.currency));
    return rows;
  }
}
