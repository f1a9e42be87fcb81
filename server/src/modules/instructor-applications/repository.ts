import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { instructorApplications } from '../auth/schema.js';
import { users } from '../users/schema.js';

export type ApplicationRow = typeof instructorApplications.$inferSelect;
export type ApplicationStatus = ApplicationRow['status'];

export class ApplicationRepository {
  constructor(
    private readonly db: Db,
    private readonly primary: Db,
  ) {}

  /** Undefined when the user already has a pending one (the partial unique index says so). */
  async insertPending(userId: string, motivation: string): Promise<ApplicationRow | undefined> {
    const [row] = await this.primary
      .insert(instructorApplications)
      .values({ userId, motivation })
      .onConflictDoNothing()
      .returning();
    return row;
  }

  async latestOf(userId: string): Promise<ApplicationRow | undefined> {
    const [row] = await this.primary
      .select()
      .from(instructorApplications)
      .where(eq(instructorApplications.userId, userId))
      .orderBy(desc(instructorApplications.createdAt))
      .limit(1);
    return row;
  }

  async allOf(userId: string): Promise<ApplicationRow[]> {
    return this.primary
      .select()
      .from(instructorApplications)
      .where(eq(instructorApplications.userId, userId))
      .orderBy(desc(instructorApplications.createdAt));
  }

  async list(query: { status?: ApplicationStatus; page: number; pageSize: number }) {
    const where = query.status ? eq(instructorApplications.status, query.status) : undefined;
    const [items, [counted]] = await Promise.all([
      this.db
        .select({
          application: instructorApplications,
          user: { id: users.id, email: users.email, displayName: users.displayName },
        })
        .from(instructorApplications)
        .innerJoin(users, eq(users.id, instructorApplications.userId))
        .where(where)
        .orderBy(desc(instructorApplications.createdAt), desc(instructorApplications.id))
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize),
      this.db
        .select({ n: sql<number>`count(*)::int` })
        .from(instructorApplications)
        .where(where),
    ]);
    return { items, total: counted?.n ?? 0 };
  }

  /** Decides a pending application once; undefined when it is unknown or already decided. */
  async decide(
    id: string,
    decision: { status: 'approved' | 'rejected'; note: string | null; decidedBy: string; at: Date },
  ): Promise<ApplicationRow | undefined> {
    const [row] = await this.primary
      .update(instructorApplications)
      .set({
        status: decision.status,
        decisionNote: decision.note,
        decidedBy: decision.decidedBy,
        decidedAt: decision.at,
      })
      .where(and(eq(instructorApplications.id, id), eq(instructorApplications.status, 'pending')))
      .returning();
    return row;
  }

  async findById(id: string): Promise<ApplicationRow | undefined> {
    const [row] = await this.primary.select().from(instructorApplications).where(eq(instructorApplications.id, id));
    return row;
  }

  async deleteOf(userId: string): Promise<void> {
    await this.primary.delete(instructorApplications).where(eq(instructorApplications.userId, userId));
  }
}
