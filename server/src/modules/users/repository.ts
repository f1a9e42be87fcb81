import { and, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { users } from './schema.js';

export type UserRow = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
export type UserPatch = Partial<Omit<NewUser, 'id' | 'createdAt'>>;

export interface UserSearch {
  q?: string;
  role?: UserRow['role'];
  status?: UserRow['status'];
  page: number;
  pageSize: number;
}

/** `%` and `_` in what a person typed are literal characters, not wildcards. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class UserRepository {
  constructor(
    private readonly db: Db,
    private readonly primary: Db,
  ) {}

  async findByEmail(email: string): Promise<UserRow | undefined> {
    const [row] = await this.primary
      .select()
      .from(users)
      .where(sql`lower(${users.email}) = lower(${email})`);
    return row;
  }

  /** Reads the primary: callers decide on access with it right after a change. */
  async findById(id: string): Promise<UserRow | undefined> {
    const [row] = await this.primary.select().from(users).where(eq(users.id, id));
    return row;
  }

  /** Inserts unless the email is taken; returns undefined when it was. */
  async insertIfAbsent(user: NewUser): Promise<UserRow | undefined> {
    const [row] = await this.primary.insert(users).values(user).onConflictDoNothing().returning();
    return row;
  }

  async update(id: string, patch: UserPatch): Promise<UserRow | undefined> {
    const [row] = await this.primary
      .update(users)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning();
    return row;
  }

  async count(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(users);
    return row?.n ?? 0;
  }

  async search(query: UserSearch): Promise<{ items: UserRow[]; total: number }> {
    const conditions: SQL[] = [sql`${users.deletedAt} is null`];
    if (query.q) {
      const pattern = likePattern(query.q.trim());
      conditions.push(or(ilike(users.email, pattern), ilike(users.displayName, pattern))!);
    }
    if (query.role) conditions.push(eq(users.role, query.role));
    if (query.status) conditions.push(eq(users.status, query.status));
    const where = and(...conditions);
    const [items, [counted]] = await Promise.all([
      this.db
        .select()
        .from(users)
        .where(where)
        .orderBy(desc(users.createdAt), desc(users.id))
        .limit(query.pageSize)
        .offset((query.page - 1) * query.pageSize),
      this.db
        .select({ n: sql<number>`count(*)::int` })
        .from(users)
        .where(where),
    ]);
    return { items, total: counted?.n ?? 0 };
  }
}
