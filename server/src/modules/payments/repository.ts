import { and, asc, count, desc, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { courses } from '../catalog/schema.js';
import { enrollments } from '../enrollments/schema.js';
import { users } from '../users/schema.js';
import { findCouponByCode, type CouponRow } from './pricing.js';
import { orders, paymentEvents } from './schema.js';
import type { OrderStatus } from './state-machine.js';

export type OrderRow = typeof orders.$inferSelect;
export type NewOrder = typeof orders.$inferInsert;

/** What an order view shows of its course. */
export interface OrderCourse {
  id: string;
  title: string;
  slug: string;
}

export interface OrderWithCourse {
  order: OrderRow;
  course: OrderCourse;
}

/** The course fields buying decides on. */
export interface PurchasableCourse extends OrderCourse {
  instructorId: string;
  status: 'draft' | 'published' | 'archived';
  priceAmount: number | null;
  currency: 'KRW' | 'USD';
  takenDownAt: Date | null;
}

export interface Buyer {
  id: string;
  email: string;
  displayName: string;
  locale: 'ko' | 'en';
  /** Set once the account was deleted (anonymised): no mail goes to it any more. */
  deletedAt: Date | null;
}

const PG_UNIQUE_VIOLATION = '23505';

/** The unique index a write broke, or undefined when it was not a unique violation. */
export function violatedUniqueIndex(error: unknown): string | undefined {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const pg = e as { code?: string; constraint?: string; constraint_name?: string };
    if (pg.code === PG_UNIQUE_VIOLATION) return pg.constraint ?? pg.constraint_name ?? '';
  }
  return undefined;
}

const courseColumns = { id: courses.id, title: courses.title, slug: courses.slug };

/**
 * Orders and their event log. The primary throughout: a student who has just paid reloads the
 * order page and must see it paid, and every write here is part of a money decision.
 */
export class OrderRepository {
  constructor(private readonly primary: Db) {}

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.primary.transaction((tx) => work(tx));
  }

  /**
   * Serialises one student's purchase decisions (order-service.ts create). NO KEY UPDATE rather
   * than UPDATE: it excludes another create's lock just the same, but not the key-share locks that
   * inserting any row referencing the user takes (an enrollment, a playback session, an event),
   * so a webhook settling another order of this student never waits on it or deadlocks with it.
   */
  async lockUser(tx: Db, userId: string): Promise<void> {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('no key update');
  }

  /** Locks the order for the rest of the transaction: events for one order apply one at a time. */
  async lock(tx: Db, orderId: string): Promise<OrderRow | undefined> {
    const [row] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    return row;
  }

  async find(orderId: string, tx: Db = this.primary): Promise<OrderRow | undefined> {
    const [row] = await tx.select().from(orders).where(eq(orders.id, orderId));
    return row;
  }

  async findWithCourse(orderId: string): Promise<OrderWithCourse | undefined> {
    const [row] = await this.primary
      .select({ order: orders, course: courseColumns })
      .from(orders)
      .innerJoin(courses, eq(courses.id, orders.courseId))
      .where(eq(orders.id, orderId));
    return row;
  }

  async findByIdempotencyKey(userId: string, key: string): Promise<OrderRow | undefined> {
    const [row] = await this.primary
      .select()
      .from(orders)
      .where(and(eq(orders.userId, userId), eq(orders.idempotencyKey, key)));
    return row;
  }

  async findOpen(userId: string, courseId: string, tx: Db = this.primary): Promise<OrderRow | undefined> {
    const [row] = await tx
      .select()
      .from(orders)
      .where(and(eq(orders.userId, userId), eq(orders.courseId, courseId), eq(orders.status, 'pending')));
    return row;
  }

  /** Throws the database's unique violation for a second open order or a reused key (the caller decides). */
  async insert(tx: Db, values: NewOrder): Promise<OrderRow> {
    const [row] = await tx.insert(orders).values(values).returning();
    return row!;
  }

  async update(tx: Db, orderId: string, patch: Partial<NewOrder>): Promise<OrderRow> {
    const [row] = await tx.update(orders).set(patch).where(eq(orders.id, orderId)).returning();
    return row!;
  }

  async idBySessionId(sessionId: string): Promise<string | undefined> {
    const [row] = await this.primary
      .select({ id: orders.id })
      .from(orders)
      .where(eq(orders.checkoutSessionId, sessionId));
    return row?.id;
  }

  async idByPaymentIntent(paymentIntentId: string): Promise<string | undefined> {
    const [row] = await this.primary
      .select({ id: orders.id })
      .from(orders)
      .where(eq(orders.paymentIntentId, paymentIntentId))
      .orderBy(desc(orders.createdAt))
      .limit(1);
    return row?.id;
  }

  /** False when the event id is already stored: a redelivery, which must change nothing. */
  async recordEvent(
    tx: Db,
    event: { id: string; type: string; orderId: string | null; outcome: string; at: Date },
  ): Promise<boolean> {
    const inserted = await tx
      .insert(paymentEvents)
      .values({ id: event.id, type: event.type, orderId: event.orderId, outcome: event.outcome, receivedAt: event.at })
      .onConflictDoNothing()
      .returning({ id: paymentEvents.id });
    return inserted.length > 0;
  }

  /** The effect turned out other than planned when the event was stored (see the ledger). */
  async setEventOutcome(tx: Db, eventId: string, outcome: string): Promise<void> {
    await tx.update(paymentEvents).set({ outcome }).where(eq(paymentEvents.id, eventId));
  }

  async listOf(
    userId: string,
    filter: { page: number; pageSize: number; status?: OrderStatus },
  ): Promise<{ items: OrderWithCourse[]; total: number }> {
    const where = and(eq(orders.userId, userId), filter.status ? eq(orders.status, filter.status) : undefined);
    const [items, [counted]] = await Promise.all([
      this.primary
        .select({ order: orders, course: courseColumns })
        .from(orders)
        .innerJoin(courses, eq(courses.id, orders.courseId))
        .where(where)
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(filter.pageSize)
        .offset((filter.page - 1) * filter.pageSize),
      this.primary.select({ n: count() }).from(orders).where(where),
    ]);
    return { items, total: counted?.n ?? 0 };
  }

  async course(courseId: string): Promise<PurchasableCourse | undefined> {
    const [row] = await this.primary
      .select({
        ...courseColumns,
        instructorId: courses.instructorId,
        status: courses.status,
        priceAmount: courses.priceAmount,
        currency: courses.currency,
        takenDownAt: courses.takenDownAt,
      })
      .from(courses)
      .where(eq(courses.id, courseId));
    return row;
  }

  async couponByCode(code: string, tx: Db = this.primary): Promise<CouponRow | undefined> {
    return findCouponByCode(tx, code);
  }

  async isEnrolled(userId: string, courseId: string, tx: Db = this.primary): Promise<boolean> {
    const [row] = await tx
      .select({ id: enrollments.id })
      .from(enrollments)
      .where(and(eq(enrollments.userId, userId), eq(enrollments.courseId, courseId), eq(enrollments.status, 'active')));
    return row !== undefined;
  }

  async buyer(userId: string): Promise<Buyer | undefined> {
    const [row] = await this.primary
      .select({
        id: users.id,
        email: users.email,
        displayName: users.displayName,
        locale: users.locale,
        deletedAt: users.deletedAt,
      })
      .from(users)
      .where(eq(users.id, userId));
    return row;
  }

  /** Pending orders created before `before`, oldest first: what reconciliation settles. */
  async pendingBefore(before: Date, limit: number): Promise<OrderRow[]> {
    return this.primary
      .select()
      .from(orders)
      .where(and(eq(orders.status, 'pending'), lt(orders.createdAt, before)))
      .orderBy(asc(orders.createdAt))
      .limit(limit);
  }

  /**
   * Paid orders whose refund was asked of the gateway and not yet seen completed. The WHERE
   * carries the partial predicate of orders_refund_in_flight_idx.
   */
  async refundsInFlight(before: Date, limit: number): Promise<OrderRow[]> {
    return this.primary
      .select()
      .from(orders)
      .where(
        and(
          eq(orders.status, 'paid'),
          isNotNull(orders.refundRequestedAt),
          isNull(orders.refundedAt),
          lt(orders.refundRequestedAt, before),
        ),
      )
      .orderBy(asc(orders.refundRequestedAt))
      .limit(limit);
  }

  /**
   * Paid orders whose receipt has not gone out although they were paid before `before`, of
   * accounts that still exist (a deleted one gets no receipt, so it would be asked for forever).
   * The WHERE carries the partial predicate of orders_receipt_due_idx.
   */
  async receiptsMissing(before: Date, limit: number): Promise<OrderRow[]> {
    const rows = await this.primary
      .select({ order: orders })
      .from(orders)
      .innerJoin(users, eq(users.id, orders.userId))
      .where(
        and(
          eq(orders.status, 'paid'),
          isNull(orders.receiptSentAt),
          lt(orders.paidAt, before),
          isNull(users.deletedAt),
        ),
      )
      .orderBy(asc(orders.paidAt))
      .limit(limit);
    return rows.map((r) => r.order);
  }

  async markReceiptSent(orderId: string, at: Date): Promise<void> {
    await this.primary
      .update(orders)
      .set({ receiptSentAt: sql`coalesce(${orders.receiptSentAt}, ${at.toISOString()}::timestamptz)` })
      .where(eq(orders.id, orderId));
  }
}
