import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

export type LectioSchema = typeof schema;
/** A Drizzle database over Lectio's schema; the same type whether PGlite or PostgreSQL runs it. */
export type Db = PgDatabase<PgQueryResultHKT, LectioSchema>;

/** A connection pool's counters at one moment, for the pool metrics. */
export interface PoolStats {
  pool: 'primary' | 'replica';
  inUse: number;
  idle: number;
  /** Queries queued for a connection. */
  waiting: number;
}

export interface DatabasePort {
  readonly backend: 'pglite' | 'postgres';
  /** Reads may be served by a replica; writes and transactions always go to the primary. */
  readonly db: Db;
  /** The primary, for reads that must see a write just made (read-after-write). */
  readonly primary: Db;
  ping(): Promise<void>;
  /** PostgreSQL's pools (replicas summed); empty for PGlite, which has one in-process connection. */
  poolStats(): PoolStats[];
  close(): Promise<void>;
}
