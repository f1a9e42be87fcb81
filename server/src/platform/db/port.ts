import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

export type LectioSchema = typeof schema;
/** A Drizzle database over Lectio's schema; the same type whether PGlite or PostgreSQL runs it. */
export type Db = PgDatabase<PgQueryResultHKT, LectioSchema>;

export interface DatabasePort {
  readonly backend: 'pglite' | 'postgres';
  /** Reads may be served by a replica; writes and transactions always go to the primary. */
  readonly db: Db;
  /** The primary, for reads that must see a write just made (read-after-write). */
  readonly primary: Db;
  ping(): Promise<void>;
  close(): Promise<void>;
}
