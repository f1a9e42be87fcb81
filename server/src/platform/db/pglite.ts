import { mkdir } from 'node:fs/promises';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle } from 'drizzle-orm/pglite';
import type { DatabasePort, Db } from './port.js';
import { tracePglite } from '../telemetry/tracing.js';
import * as schema from './schema.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';

/** The contrib extensions migrations create; PostgreSQL ships them, PGlite loads them on demand. */
const EXTENSIONS = { extensions: { pg_trgm } } satisfies PGliteOptions;

/**
 * PostgreSQL in WebAssembly, files under the data directory. One process may hold the directory:
 * a second opener would corrupt it, so opening takes an exclusive lock first.
 */
export async function openPglite(dataDir: string, opts: { lockPurpose: string }): Promise<DatabasePort> {
  await mkdir(dataDir, { recursive: true });
  const lock: DataDirLock = await acquireDataDirLock(dataDir, opts.lockPurpose);
  let client: PGlite;
  try {
    client = await PGlite.create({ dataDir, ...EXTENSIONS });
  } catch (error) {
    await lock.release();
    throw error;
  }
  return pglitePort(client, () => lock.release());
}

/** An in-memory PGlite for tests that need a throwaway database. */
export async function openMemoryPglite(): Promise<DatabasePort> {
  return pglitePort(await PGlite.create(EXTENSIONS), async () => {});
}

function pglitePort(client: PGlite, afterClose: () => Promise<void>): DatabasePort {
  tracePglite(client as unknown as Parameters<typeof tracePglite>[0]);
  const db = drizzle({ client, schema }) as unknown as Db;
  return {
    backend: 'pglite',
    db,
    primary: db,
    async ping() {
      await client.query('select 1');
    },
    poolStats: () => [],
    async close() {
      try {
        await client.close();
      } finally {
        await afterClose();
      }
    },
  };
}
