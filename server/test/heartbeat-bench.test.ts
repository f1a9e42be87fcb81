import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseHeartbeatArgs, renderHeartbeatSection, runHeartbeatBench } from '../../bench/heartbeat.js';
import { createPostgresDatabase, type TestDatabase } from './support/databases.js';

/**
 * The heartbeat benchmark's smoke run: the same client, fixtures, flush seeding and report as
 * `npm run bench -- heartbeat`, for one second per route and 2,000 flushed entries, on the shared
 * PostgreSQL (a fresh database) and Redis (the server's own key prefix). Speed is not asserted
 * (CI machines are too noisy); that heartbeats write nothing to the database and the flush writes
 * every entry is.
 */
describe('heartbeat benchmark smoke run [postgres+redis]', { timeout: 180_000 }, () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createPostgresDatabase({ migrate: false });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('measures heartbeats against two baselines and times a flush of every buffered entry', async () => {
    const opts = parseHeartbeatArgs(['--smoke']);
    expect(opts).toMatchObject({ smoke: true, write: false, connections: 4, flushEntries: 2_000 });
    const result = await runHeartbeatBench(opts, { databaseUrl: database.url!, redisUrl: inject('redisUrl') });

    expect(result.loads.map((l) => l.name)).toEqual([
      'GET /health/live',
      'GET /api/v1/me',
      'POST /api/v1/lessons/:id/progress',
    ]);
    for (const l of result.loads) {
      expect(l.requests, l.name).toBeGreaterThan(0);
      expect(l.errors, l.name).toBe(0);
      expect(l.p99, l.name).toBeGreaterThanOrEqual(l.p50);
    }
    expect(result.heartbeat.databaseRowsDuringLoad).toBe(0);
    expect(result.heartbeat.rpsVsLive).toBeGreaterThan(0);
    expect(result.flush).toMatchObject({ entries: 2_000, rowsAfter: 2_000, batches: 2 });
    expect(result.flush.entriesPerSecond).toBeGreaterThan(0);
    expect(result.flush.updateEntriesPerSecond).toBeGreaterThan(0);
    expect(renderHeartbeatSection(result)).toContain('## Progress heartbeats');
  });
});
