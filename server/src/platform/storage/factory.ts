import type { Config } from '../../config.js';
import type { DatabasePort } from '../db/port.js';
import { LocalStorage } from './local.js';
import type { StoragePort } from './port.js';
import { S3Storage, type StorageLogger } from './s3.js';

export interface StorageDependencies {
  /** The S3 backend keeps its multipart ledger here. */
  database: DatabasePort;
  /** Where the local backend's signed URLs point (the app serves them under /storage/). */
  publicUrl: string;
  /** Signs the local backend's URLs; the app secret will do (a purpose-bound key is derived from it). */
  signingSecret: string;
  logger?: StorageLogger;
  /** S3: the videos-raw lifecycle rule's age for moving raw uploads to cold storage. */
  rawColdAfterDays?: number;
  /** S3: origins allowed to PUT upload parts from the browser (CORS on videos-raw). */
  browserOrigins?: string[];
}

/** The one place that picks the storage backend. */
export async function createStorage(config: Config['storage'], deps: StorageDependencies): Promise<StoragePort> {
  if (config.backend === 's3') {
    return new S3Storage(config, {
      database: deps.database,
      logger: deps.logger,
      rawColdAfterDays: deps.rawColdAfterDays,
      browserOrigins: deps.browserOrigins,
    });
  }
  return new LocalStorage({ root: config.root, publicUrl: deps.publicUrl, signingSecret: deps.signingSecret });
}
