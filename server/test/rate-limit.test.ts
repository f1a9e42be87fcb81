import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPostgresDatabase, type TestDatabase } from './support/databases.js';
import { startTestServer, type TestServer } from './support/servers.js';

describe('rate limits [postgres+redis]', () => {
  let database: TestDatabase;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase({ migrate: false });
    const shared = {
      DATABASE_URL: database.url!,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: `rl${Date.now()}`,
      RATE_LIMIT_MAX: '6',
      RATE_LIMIT_WINDOW_SECONDS: '60',
    };
    // Two API instances on one Redis, as behind a load balancer.
    servers.push(await startTestServer(shared, { api: true, worker: false }));
    servers.push(await startTestServer(shared, { api: true, worker: false }));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await database?.dispose();
  });

  it('holds one limit across instances and answers 429 with Retry-After in the error shape', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${servers[i % 2]!.url}/api/v1/dev/mailbox`);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const limited = await fetch(`${servers[0]!.url}/api/v1/dev/mailbox`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    // Health checks are exempt: a load balancer polling must never be limited.
    expect((await fetch(`${servers[1]!.url}/health/live`)).status).toBe(200);
  });
});
