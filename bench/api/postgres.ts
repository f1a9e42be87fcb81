/**
 * A private PostgreSQL for a benchmark, tuned like any production server with the data in RAM on
 * SSD (the machine's shared server is never used), with one database created for the bench.
 */
import pg from 'pg';
import { startPrivatePostgres, type PrivatePostgres } from '../../server/test/support/private-services.js';

/**
 * What any production PostgreSQL serving a catalog from RAM and SSD is given, instead of the
 * defaults for a spinning disk and 128 MB: with random_page_cost = 4 the planner prefers scanning
 * all of `courses` over a few thousand primary-key lookups.
 */
export const SERVER_SETTINGS: Record<string, string> = {
  shared_buffers: '512MB',
  effective_cache_size: '2GB',
  random_page_cost: '1.1',
  work_mem: '16MB',
};

export interface TunedPostgres {
  server: PrivatePostgres;
  /** URL of the bench's database on it. */
  url: string;
}

/**
 * What `npm run bench -- api --statements` adds: PostgreSQL's per-statement counters, loaded only
 * when asked for (the extension times every statement, which the plain run should not pay).
 */
export const STATEMENT_STATS_SETTINGS: Record<string, string> = { shared_preload_libraries: 'pg_stat_statements' };

export async function startTunedPostgres(
  database = 'lectio_bench',
  extraSettings: Record<string, string> = {},
): Promise<TunedPostgres> {
  const server = await startPrivatePostgres();
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    for (const [name, value] of Object.entries({ ...SERVER_SETTINGS, ...extraSettings }))
      await admin.query(`alter system set ${name} = '${value}'`);
    await admin.query(`create database ${database}`);
    await admin.end();
    // shared_buffers and shared_preload_libraries only change on a restart.
    await server.stop();
    await server.start();
    return { server, url: server.url.replace(/\/postgres$/, `/${database}`) };
  } catch (error) {
    await server.destroy();
    throw error;
  }
}
