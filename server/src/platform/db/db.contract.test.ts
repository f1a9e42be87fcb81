import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPostgresDatabase,
  createTestDatabase,
  DATABASE_BACKENDS,
  type TestDatabase,
} from '../../../test/support/databases.js';
import { users } from '../../modules/users/schema.js';
import { migrate } from './migrate.js';
import { openPostgres } from './postgres.js';
import { rowsOf } from './rows.js';

describe.each(DATABASE_BACKENDS)('database contract [%s]', (backend) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.dispose();
    database = undefined;
  });

  it('migrates an empty database and a second run applies nothing', async () => {
    database = await createTestDatabase(backend, { migrate: false });
    const first = await migrate(database.port.primary);
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await migrate(database.port.primary);
    expect(second.applied).toEqual([]);
  });

  it('writes and reads through Drizzle, with case-insensitive unique emails', async () => {
    database = await createTestDatabase(backend);
    const { db, primary } = database.port;
    await primary.insert(users).values({ email: 'Ana@Example.com', passwordHash: 'x', displayName: 'Ana' });
    const [row] = await db.select().from(users).where(eq(users.email, 'Ana@Example.com'));
    expect(row?.displayName).toBe('Ana');
    await expect(
      primary.insert(users).values({ email: 'ana@example.COM', passwordHash: 'x', displayName: 'Dup' }),
    ).rejects.toThrow();
  });

  it('rolls back a failed transaction completely', async () => {
    database = await createTestDatabase(backend);
    const { primary } = database.port;
    await expect(
      primary.transaction(async (tx) => {
        await tx.insert(users).values({ email: 'half@example.com', passwordHash: 'x', displayName: 'Half' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const count = rowsOf<{ n: number }>(await primary.execute(sql`select count(*)::int as n from users`));
    expect(count[0]?.n).toBe(0);
  });

  it('answers ping while up and rejects it once closed', async () => {
    database = await createTestDatabase(backend);
    await expect(database.port.ping()).resolves.toBeUndefined();
    await database.port.close();
    await expect(database.port.ping()).rejects.toThrow();
    database = { ...database, dispose: async () => {} };
  });
});

describe('database [postgres] deployment behaviour', () => {
  it('several instances migrating at once apply each migration exactly once', async () => {
    const target = await createPostgresDatabase({ migrate: false });
    const instances = Array.from({ length: 4 }, () => openPostgres({ url: target.url!, replicaUrls: [], poolMax: 2 }));
    try {
      const results = await Promise.all(instances.map((i) => migrate(i.primary)));
      const appliedCounts = results.map((r) => r.applied.length).sort();
      expect(appliedCounts.filter((n) => n > 0)).toHaveLength(1);
      const rows = rowsOf<{ hash: string; n: number }>(
        await instances[0]!.primary.execute(
          sql`select hash, count(*)::int as n from drizzle.__drizzle_migrations group by hash`,
        ),
      );
      expect(rows.every((r) => r.n === 1)).toBe(true);
    } finally {
      await Promise.all(instances.map((i) => i.close()));
      await target.dispose();
    }
  });

  it('sends reads to the replica and writes to the primary', async () => {
    // Two separate databases stand in for primary and replica: a row written through the port
    // is visible on the primary only, and a plain read (which goes to the replica) does not see it.
    const primaryDb = await createPostgresDatabase();
    const replicaDb = await createPostgresDatabase();
    const port = openPostgres({ url: primaryDb.url!, replicaUrls: [replicaDb.url!], poolMax: 2 });
    try {
      await port.db.insert(users).values({ email: 'w@example.com', passwordHash: 'x', displayName: 'W' });
      expect(await port.db.select().from(users)).toHaveLength(0);
      expect(await port.primary.select().from(users)).toHaveLength(1);
    } finally {
      await port.close();
      await primaryDb.dispose();
      await replicaDb.dispose();
    }
  });
});
