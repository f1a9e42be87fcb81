import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { users } from './schema.js';

export type UserRow = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;

export class UserRepository {
  constructor(
    private readonly db: Db,
    private readonly primary: Db,
  ) {}

  async findByEmail(email: string): Promise<UserRow | undefined> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(sql`lower(${users.email}) = lower(${email})`);
    return row;
  }

  /** Inserts unless the email is taken; returns undefined when it was. */
  async insertIfAbsent(user: NewUser): Promise<UserRow | undefined> {
    const [row] = await this.primary.insert(users).values(user).onConflictDoNothing().returning();
    return row;
  }

  async count(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(users);
    return row?.n ?? 0;
  }
}
