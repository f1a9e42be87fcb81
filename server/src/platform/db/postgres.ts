import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { withReplicas } from 'drizzle-orm/pg-core';
import type { DatabasePort, Db } from './port.js';
import * as schema from './schema.js';

export interface PostgresOptions {
  url: string;
  replicaUrls: string[];
  poolMax: number;
  /** How long a request may wait for a connection before failing (fail fast, not hang). */
  connectionTimeoutMs?: number;
}

function createPool(connectionString: string, max: number, connectionTimeoutMs: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: connectionTimeoutMs,
    idleTimeoutMillis: 30_000,
    // A runaway query must not pin a pooled connection forever.
    statement_timeout: 30_000,
    application_name: 'lectio',
  });
  // An idle client losing its server (restart, failover) emits here; without a listener Node exits.
  pool.on('error', () => undefined);
  return pool;
}

export function openPostgres(opts: PostgresOptions): DatabasePort {
  const timeout = opts.connectionTimeoutMs ?? 5_000;
  const primaryPool = createPool(opts.url, opts.poolMax, timeout);
  const replicaPools = opts.replicaUrls.map((url) => createPool(url, opts.poolMax, timeout));
  const primary = drizzle({ client: primaryPool, schema }) as unknown as Db;
  const replicas = replicaPools.map((pool) => drizzle({ client: pool, schema }) as unknown as Db);
  const [firstReplica, ...otherReplicas] = replicas;
  const db = firstReplica ? (withReplicas(primary, [firstReplica, ...otherReplicas]) as unknown as Db) : primary;
  return {
    backend: 'postgres',
    db,
    primary,
    async ping() {
      const client = await primaryPool.connect();
      try {
        await client.query('select 1');
      } finally {
        client.release();
      }
    },
    async close() {
      await Promise.all([primaryPool.end(), ...replicaPools.map((p) => p.end())]);
    },
  };
}
