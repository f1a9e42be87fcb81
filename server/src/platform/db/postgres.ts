import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { withReplicas } from 'drizzle-orm/pg-core';
import type { DatabasePort, Db, PoolStats } from './port.js';
import { traceQueries } from '../telemetry/tracing.js';
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
  // So does a checked-out client caught between two queries (inside a transaction) when the server
  // goes away: its next query fails (a 503), but the event itself must not take the process down.
  pool.on('connect', (client) => client.on('error', () => undefined));
  // Each new connection's queries get spans (inside a traced request or job).
  const database = new URL(connectionString).pathname.slice(1);
  pool.on('connect', (client) =>
    traceQueries(client as unknown as Parameters<typeof traceQueries>[0], {
      'db.system.name': 'postgresql',
      'db.namespace': database,
    }),
  );
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
    poolStats() {
      const stats: PoolStats[] = [poolStats('primary', [primaryPool])];
      if (replicaPools.length) stats.push(poolStats('replica', replicaPools));
      return stats;
    },
    async close() {
      await Promise.all([primaryPool.end(), ...replicaPools.map((p) => p.end())]);
    },
  };
}

function poolStats(pool: PoolStats['pool'], pools: pg.Pool[]): PoolStats {
  let inUse = 0;
  let idle = 0;
  let waiting = 0;
  for (const p of pools) {
    inUse += p.totalCount - p.idleCount;
    idle += p.idleCount;
    waiting += p.waitingCount;
  }
  return { pool, inUse, idle, waiting };
}
