import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startPrivateRedis, type PrivateRedis } from '../../../test/support/private-services.js';
import {
  openQueueBackend,
  QUEUE_BACKENDS,
  uniqueQueuePrefix,
  type QueueBackendHarness,
  type QueueBackendName,
} from '../../../test/support/queue-backends.js';
import { BullmqQueue, dedupeKeyToJobId } from './bullmq.js';
import { defineJob, MissingJobHandlerError, registerJob } from './port.js';
import { assertEveryJobHasHandler, DuplicateJobNameError } from './registry.js';
import {
  checkPriorityOrder,
  CONTRACT_CHECKS,
  PriorityIgnoringQueue,
  type MakeQueue,
} from './testing/contract-checks.js';
import { MONITOR_CHECKS } from './testing/monitor-checks.js';

// The backends run side by side (each has its own store); within one backend the checks run one
// after another, since they share that store and reset it in between.
describe.concurrent('queue adapters', () => {
  describe.each(QUEUE_BACKENDS)('queue contract [%s]', (backend: QueueBackendName) => {
    let harness: QueueBackendHarness;
    const makeQueue: MakeQueue = (overrides) => harness.makeQueue(overrides);

    beforeAll(async () => {
      harness = await openQueueBackend(backend);
    });
    afterEach(async () => {
      await harness.reset();
    });
    afterAll(async () => {
      await harness?.dispose();
    });

    it.sequential.each(CONTRACT_CHECKS)('%s', async (_title, check) => {
      await check(makeQueue);
    });

    it.sequential.each(MONITOR_CHECKS)('job monitor: %s', async (_title, check) => {
      await check(makeQueue);
    });

    it.sequential('answers ping', async () => {
      await expect(makeQueue().ping()).resolves.toBeUndefined();
    });
  });
});

describe('a broken queue adapter fails the contract', () => {
  // One embedded and one BullMQ store: the check must catch the fault on either backend.
  describe.each(['embedded on pglite', 'bullmq'] as const)('on %s', (backend) => {
    let harness: QueueBackendHarness;
    beforeAll(async () => {
      harness = await openQueueBackend(backend);
    });
    afterEach(async () => {
      await harness.reset();
    });
    afterAll(async () => {
      await harness?.dispose();
    });

    it('the priority check passes for the real adapter', async () => {
      await checkPriorityOrder((o) => harness.makeQueue(o));
    });

    it('the priority check fails for an adapter that ignores priorities', async () => {
      await expect(checkPriorityOrder((o) => new PriorityIgnoringQueue(harness.makeQueue(o)))).rejects.toThrow(
        /out of priority order/,
      );
    });
  });
});

describe('assertEveryJobHasHandler', () => {
  const payload = z.object({});
  const a = defineJob({ name: 'contract.a', queue: 'default', priority: 'low', payload });
  const b = defineJob({ name: 'contract.b', queue: 'video', priority: 'high', payload });
  const c = defineJob({ name: 'contract.c', queue: 'default', priority: 'medium', payload });
  const handler = async () => undefined;

  it('accepts a handler for every declaration', () => {
    expect(() => assertEveryJobHasHandler([a, b], [registerJob(a, handler), registerJob(b, handler)])).not.toThrow();
  });

  it('names every declared job without a handler', () => {
    let thrown: unknown;
    try {
      assertEveryJobHasHandler([a, b, c], [registerJob(b, handler)]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MissingJobHandlerError);
    expect((thrown as MissingJobHandlerError).jobNames).toEqual(['contract.a', 'contract.c']);
    expect((thrown as Error).message).toContain('contract.a');
  });

  it('refuses duplicate job names, declared or registered', () => {
    expect(() => assertEveryJobHasHandler([a, a], [registerJob(a, handler)])).toThrow(DuplicateJobNameError);
    expect(() => assertEveryJobHasHandler([a], [registerJob(a, handler), registerJob(a, handler)])).toThrow(
      DuplicateJobNameError,
    );
  });
});

describe('bullmq queue while Redis is down', () => {
  let redis: PrivateRedis;
  let queue: BullmqQueue | undefined;
  const job = defineJob({ name: 'contract.outage', queue: 'default', priority: 'medium', payload: z.object({}) });

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await queue?.close();
    await redis?.stop();
  });

  it('fails ping and enqueue fast, and recovers by itself when Redis is back', async () => {
    queue = new BullmqQueue({
      redisUrl: redis.url,
      prefix: uniqueQueuePrefix(),
      leaseMs: 2_000,
      shutdownTimeoutMs: 1_000,
    });
    await waitUntil(() =>
      queue!.ping().then(
        () => true,
        () => false,
      ),
    );
    await queue.enqueue(job, {});

    await redis.stop();
    const started = Date.now();
    await expect(queue.ping()).rejects.toThrow();
    await expect(queue.enqueue(job, {})).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_500);

    await redis.start();
    await waitUntil(() =>
      queue!.ping().then(
        () => true,
        () => false,
      ),
    );
    await expect(queue.enqueue(job, {})).resolves.toEqual(expect.any(String));
  });
});

describe('bullmq job ids from dedupe keys', () => {
  it('are valid BullMQ ids and keep distinct keys distinct', () => {
    const keys = ['lesson:42', 'lesson%3A42', '42', 'a:b:c'];
    const ids = keys.map(dedupeKeyToJobId);
    expect(new Set(ids).size).toBe(keys.length);
    for (const id of ids) {
      expect(id).not.toContain(':');
      expect(String(Number.parseInt(id, 10))).not.toBe(id);
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
