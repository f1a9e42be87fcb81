import { and, count, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { rowsOf } from '../../platform/db/rows.js';
import { courses } from '../catalog/schema.js';
import { users } from '../users/schema.js';
import { violatedUniqueIndex, type OrderCourse, type OrderRow } from './repository.js';
import { orders, refundRequests } from './schema.js';
import type { OrderStatus } from './state-machine.js';

export type RefundRequestRow = typeof refundRequests.$inferSelect;
export type RefundRequestStatus = RefundRequestRow['status'];

/** Who bought: what the admin lists show and where decision mails go. */
export interface OrderUser {
  id: string;
  email: string;
  displayName: string;
  locale: 'ko' | 'en';
  /** Set for an erased account: it gets no mail. */
  deletedAt: Date | null;
}

export interface ListedOrder {
  order: OrderRow;
  course: OrderCourse;
  user: OrderUser;
}

export interface ListedRefundRequest extends ListedOrder {
  request: RefundRequestRow;
}

const courseColumns = { id: courses.id, title: courses.title, slug: courses.slug };
const userColumns = {
  id: users.id,
  email: users.email,
  displayName: users.displayName,
  locale: users.locale,
  deletedAt: users.deletedAt,
};

/** `%` and `_` in what an admin typed are literal characters, not wildcards. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Refund requests and the admin's view of orders. The primary throughout: an admin acts on the
 * list right after a change, and the policy must see the request a student has just made.
 */
export class RefundRepository {
  constructor(private readonly primary: Db) {}

  async order(orderId: string): Promise<ListedOrder | undefined> {
    const [row] = await this.primary
      .select({ order: orders, course: courseColumns, user: userColumns })
      .from(orders)
      .innerJoin(courses, eq(courses.id, orders.courseId))
      .innerJoin(users, eq(users.id, orders.userId))
      .where(eq(orders.id, orderId));
    return row;
  }

  /**
   * How much of the course's video the student has watched: each video lesson counts at most its
   * length (a replay never counts twice, see progress), over the total length of the course's
   * video lessons. A lesson's length is its ready video's, else what the lesson states, as the
   * completion rule of progress takes it.
   */
  async watchedShare(userId: string, courseId: string): Promise<{ watchedSeconds: number; totalSeconds: number }> {
    const [row] = rowsOf<{ watched: number; total: number }>(
      await this.primary.execute(sql`
        select coalesce(sum(least(coalesce(lp.watched_seconds, 0), d.duration)), 0)::float8 as watched,
               coalesce(sum(d.duration), 0)::float8 as total
        from (
          select l.id, greatest(coalesce(vid.duration_seconds, l.duration_seconds), 0)::float8 as duration
          from lessons l
          left join videos vid on vid.id = l.video_id and vid.status = 'ready'
          where l.course_id = ${courseId} and l.type = 'video'
        ) d
        left join lesson_progress lp on lp.lesson_id = d.id and lp.user_id = ${userId}
      `),
    );
    return { watchedSeconds: Number(row?.watched ?? 0), totalSeconds: Number(row?.total ?? 0) };
  }

  /** The order's most recent request, whatever its status: the student sees an answer too. */
  async latestRequestOf(orderId: string): Promise<RefundRequestRow | undefined> {
    const [row] = await this.primary
      .select()
      .from(refundRequests)
      .where(eq(refundRequests.orderId, orderId))
      .orderBy(desc(refundRequests.createdAt), desc(refundRequests.id))
      .limit(1);
    return row;
  }

  async openRequestOf(orderId: string): Promise<RefundRequestRow | undefined> {
    const [row] = await this.primary
      .select()
      .from(refundRequests)
      .where(and(eq(refundRequests.orderId, orderId), eq(refundRequests.status, 'requested')));
    return row;
  }

  /** Undefined when the order already has an open request (the partial unique index decides). */
  async insertRequest(values: typeof refundRequests.$inferInsert): Promise<RefundRequestRow | undefined> {
    try {
      const [row] = await this.primary.insert(refundRequests).values(values).returning();
      return row;
    } catch (error) {
      if (violatedUniqueIndex(error) !== undefined) return undefined;
      throw error;
    }
  }

  async request(id: string): Promise<RefundRequestRow | undefined> {
    const [row] = await this.primary.select().from(refundRequests).where(eq(refundRequests.id, id));
    return row;
  }

  /**
   * requested → approved | rejected, only from requested: of two admins deciding at once one
   * wins, the other gets undefined.
   */
  async decide(
    id: string,
    decision: { status: 'approved' | 'rejected'; decidedBy: string; decidedAt: Date; note: string | null },
  ): Promise<RefundRequestRow | undefined> {
    const [row] = await this.primary
      .update(refundRequests)
      .set({
        status: decision.status,
        decidedBy: decision.decidedBy,
        decidedAt: decision.decidedAt,
        decisionNote: decision.note,
      })
      .where(and(eq(refundRequests.id, id), eq(refundRequests.status, 'requested')))
      .returning();
    return row;
  }

  /** Undoes an approval whose refund the gateway refused, so an admin can try again. */
  async reopen(id: string): Promise<void> {
    await this.primary
      .update(refundRequests)
      .set({ status: 'requested', decidedBy: null, decidedAt: null, decisionNote: null })
      .where(eq(refundRequests.id, id));
  }

  async listRequests(filter: {
    status?: RefundRequestStatus;
    page: number;
    pageSize: number;
  }): Promise<{ items: ListedRefundRequest[]; total: number }> {
    const where = filter.status ? eq(refundRequests.status, filter.status) : undefined;
    const [items, [counted]] = await Promise.all([
      this.primary
        .select({ request: refundRequests, order: orders, course: courseColumns, user: userColumns })
        .from(refundRequests)
        .innerJoin(orders, eq(orders.id, refundRequests.orderId))
        .innerJoin(courses, eq(courses.id, orders.courseId))
        .innerJoin(users, eq(users.id, refundRequests.userId))
        .where(where)
        .orderBy(desc(refundRequests.createdAt), desc(refundRequests.id))
        .limit(filter.pageSize)
        .offset((filter.page - 1) * filter.pageSize),
      this.primary.select({ n: count() }).from(refundRequests).where(where),
    ]);
    return { items, total: counted?.n ?? 0 };
  }

  /** Every order, newest first, by status and by the buyer's email or the course's title. */
  async listOrders(filter: {
    status?: OrderStatus;
    q?: string;
    page: number;
    pageSize: number;
  }): Promise<{ items: ListedOrder[]; total: number }> {
    const conditions: SQL[] = [];
    if (filter.status) conditions.push(eq(orders.status, filter.status));
    if (filter.q) {
      const pattern = likePattern(filter.q);
      conditions.push(or(ilike(users.email, pattern), ilike(courses.title, pattern))!);
    }
    const where = conditions.length ? and(...conditions) : undefined;
    const [items, [counted]] = await Promise.all([
      this.primary
        .select({ order: orders, course: courseColumns, user: userColumns })
        .from(orders)
        .innerJoin(courses, eq(courses.id, orders.courseId))
        .innerJoin(users, eq(users.id, orders.userId))
        .where(where)
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(filter.pageSize)
        .offset((filter.page - 1) * filter.pageSize),
      this.primary
        .select({ n: count() })
        .from(orders)
        .innerJoin(courses, eq(courses.id, orders.courseId))
        .innerJoin(users, eq(users.id, orders.userId))
        .where(where),
    ]);
    return { items, total: counted?.n ?? 0 };
  }
}
