import type { Config } from '../../config.js';
import type { DatabasePort } from '../db/port.js';
import { BullmqQueue } from './bullmq.js';
import { EmbeddedQueue } from './embedded.js';
import type { QueueLogger } from './logger.js';
import type { QueuePort } from './port.js';

export interface QueueDeps {
  /** The embedded backend keeps its jobs here; the caller opens and closes it. */
  database: DatabasePort;
  logger?: QueueLogger;
}

export interface QueueFactoryOptions {
  /** BullMQ key prefix (default `lectio`): tests and side-by-side deployments sharing a Redis set their own. */
  prefix?: string;
}

/** The one place that picks the queue backend. */
export function createQueue(config: Config['queue'], deps: QueueDeps, options: QueueFactoryOptions = {}): QueuePort {
  if (config.backend === 'bullmq') {
    // loadConfig already refuses bullmq without REDIS_URL; this guards hand-built configs.
    if (!config.redisUrl) throw new Error('The bullmq queue backend needs a Redis URL');
    return new BullmqQueue({
      redisUrl: config.redisUrl,
      leaseMs: config.leaseMs,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      prefix: options.prefix ?? config.redisPrefix,
      logger: deps.logger,
    });
  }
  return new EmbeddedQueue({
    database: deps.database,
    leaseMs: config.leaseMs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logger: deps.logger,
  });
}
