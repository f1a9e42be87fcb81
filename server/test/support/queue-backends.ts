import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { BullmqQueue } from '../../src/platform/queue/bullmq.js';
import { EmbeddedQueue } from '../../src/platform/queue/embedded.js';
import type { QueuePort } from '../../src/platform/queue/port.js';
import type { QueueOverrides } from '../../src/platform/queue/testing/contract-checks.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

/**
 * Each queue backend as the contract tests use it: one store per test file (a migrated database,
 * or a Redis key prefix) that reset() empties between tests, and any number of adapters over it.
 */
export interface QueueBackendHarness {
  makeQueue(overrides?: QueueOverrides): QueuePort;
  /** Closes every adapter made so far and empties the store. */
  reset(): Promise<void>;
  dispose(): Promise<void>;
}

export type QueueBackendName = 'embedded on pglite' | 'embedded on postgres' | 'bullmq';
export const QUEUE_BACKENDS: QueueBackendName[] = ['embedded on pglite', 'embedded on postgres', 'bullmq'];

/** Short timings so the suite stays fast; the contract does not depend on them. */
export const TEST_LEASE_MS = 2_000;
export const TEST_SHUTDOWN_TIMEOUT_MS = 2_000;

export function uniqueQueuePrefix(): string {
  return `lectio-test-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key under a BullMQ prefix, so tests leave the shared Redis as they found it. */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function tracking(make: (overrides: QueueOverrides) => QueuePort) {
  const opened: QueuePort[] = [];
  return {
    makeQueue(overrides: QueueOverrides = {}): QueuePort {
      const queue = make(overrides);
      opened.push(queue);
      return queue;
    },
    async closeAll(): Promise<void> {
      await Promise.allSettled(opened.splice(0).map((q) => q.close()));
    },
  };
}

export async function openQueueBackend(name: QueueBackendName): Promise<QueueBackendHarness> {
  if (name === 'bullmq') {
    const redisUrl = inject('redisUrl');
    let prefix = uniqueQueuePrefix();
    const adapters = tracking(
      (o) =>
        new BullmqQueue({
          redisUrl,
          prefix,
          leaseMs: o.leaseMs ?? TEST_LEASE_MS,
          shutdownTimeoutMs: o.shutdownTimeoutMs ?? TEST_SHUTDOWN_TIMEOUT_MS,
        }),
    );
    return {
      makeQueue: adapters.makeQueue,
      async reset() {
        await adapters.closeAll();
        await deleteRedisPrefix(redisUrl, prefix);
        prefix = uniqueQueuePrefix();
      },
      async dispose() {
        await adapters.closeAll();
        await deleteRedisPrefix(redisUrl, prefix);
      },
    };
  }
  const database: TestDatabase = await createTestDatabase(name === 'embedded on postgres' ? 'postgres' : 'pglite');
  const adapters = tracking(
    (o) =>
      new EmbeddedQueue({
        database: database.port,
        leaseMs: o.leaseMs ?? TEST_LEASE_MS,
        shutdownTimeoutMs: o.shutdownTimeoutMs ?? TEST_SHUTDOWN_TIMEOUT_MS,
        pollIntervalMs: 100,
      }),
  );
  return {
    makeQueue: adapters.makeQueue,
    async reset() {
      await adapters.closeAll();
      await database.port.primary.execute(sql`truncate queue_jobs, queue_schedules restart identity`);
    },
    async dispose() {
      await adapters.closeAll();
      await database.dispose();
    },
  };
}
