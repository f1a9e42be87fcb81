import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { migrate } from '../../src/platform/db/migrate.js';
import { openMemoryPglite } from '../../src/platform/db/pglite.js';
import type { DatabasePort } from '../../src/platform/db/port.js';
import { openPostgres } from '../../src/platform/db/postgres.js';

export type DatabaseBackend = 'pglite' | 'postgres';
export const DATABASE_BACKENDS: DatabaseBackend[] = ['pglite', 'postgres'];

export interface TestDatabase {
  port: DatabasePort;
  /** The connection URL of a PostgreSQL test database; undefined for PGlite. */
  url: string | undefined;
  dispose(): Promise<void>;
}

/** A fresh, migrated PostgreSQL database on the test server; dispose() drops it. */
export async function createPostgresDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject('databaseUrl');
  const name = `lectio_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const port = openPostgres({ url: url.toString(), replicaUrls: [], poolMax: 10 });
  if (opts.migrate !== false) await migrate(port.primary);
  return {
    port,
    url: url.toString(),
    async dispose() {
      await port.close();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function createPgliteDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const port = await openMemoryPglite();
  if (opts.migrate !== false) await migrate(port.primary);
  return { port, url: undefined, dispose: () => port.close() };
}

export function createTestDatabase(backend: DatabaseBackend, opts: { migrate?: boolean } = {}) {
  return backend === 'postgres' ? createPostgresDatabase(opts) : createPgliteDatabase(opts);
}

/** Gives a test server's env for one backend, and how to drop what it made. */
export type ServerBackendSetup = () => Promise<{ env: Record<string, string>; dispose: () => Promise<void> }>;

/**
 * The backends an HTTP test runs against, for `describe.each`: the embedded default (PGlite and
 * memory) and a fresh PostgreSQL database with Redis. `postgresEnv` is added to the latter's env.
 */
export function serverBackends(postgresEnv: Record<string, string> = {}): [string, ServerBackendSetup][] {
  return [
    ['embedded', async () => ({ env: {}, dispose: async () => {} })],
    [
      'postgres+redis',
      async () => {
        const database = await createPostgresDatabase({ migrate: false });
        return {
          env: { DATABASE_URL: database.url!, REDIS_URL: inject('redisUrl'), ...postgresEnv },
          dispose: () => database.dispose(),
        };
      },
    ],
  ];
}
