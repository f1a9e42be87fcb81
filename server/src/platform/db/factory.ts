import type { Config } from '../../config.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { DatabasePort } from './port.js';

/** The one place that picks the database backend. */
export async function createDatabase(config: Config['database'], purpose: string): Promise<DatabasePort> {
  if (config.backend === 'postgres') {
    return openPostgres({ url: config.url, replicaUrls: config.replicaUrls, poolMax: config.poolMax });
  }
  return openPglite(config.dataDir, { lockPurpose: purpose });
}
