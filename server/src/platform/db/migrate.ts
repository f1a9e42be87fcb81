import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Db } from './port.js';
import { rowsOf } from './rows.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations', import.meta.url));

/** Any constant works; it only has to be the same for every Lectio instance on one database. */
const MIGRATION_LOCK_KEY = 7_246_013_518_294_113;

export interface MigrationResult {
  applied: string[];
}

/**
 * Applies pending drizzle-kit migrations in one transaction under a transaction-level advisory
 * lock. Several instances starting at once queue on the lock and the later ones find nothing to
 * do. A session-level lock would not do: behind PgBouncer in transaction mode the session that
 * took it is not the one that would release it.
 *
 * The bookkeeping table is drizzle's own (`drizzle.__drizzle_migrations`) so drizzle-kit tooling
 * keeps working against the same database.
 */
export async function migrate(db: Db, migrationsFolder = MIGRATIONS_FOLDER): Promise<MigrationResult> {
  const migrations = readMigrationFiles({ migrationsFolder });
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(sql`create schema if not exists drizzle`);
    await tx.execute(
      sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`,
    );
    const last = rowsOf<{ created_at: string | number | null }>(
      await tx.execute(sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`),
    );
    const lastApplied = Number(last[0]?.created_at ?? 0);
    const applied: string[] = [];
    for (const migration of migrations) {
      if (migration.folderMillis <= lastApplied) continue;
      for (const statement of migration.sql) {
        if (statement.trim()) await tx.execute(sql.raw(statement));
      }
      await tx.execute(
        sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`,
      );
      applied.push(migration.hash);
    }
    return { applied };
  });
}
