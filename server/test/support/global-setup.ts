import type { TestProject } from 'vitest/node';
import { startPrivatePostgres, startPrivateRedis } from './private-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

/**
 * The production-backend suites run against TEST_DATABASE_URL / TEST_REDIS_URL when given, and
 * otherwise against private servers started here. They never skip: no server, no green run.
 */
export default async function setup(project: TestProject) {
  const stops: (() => Promise<void>)[] = [];
  let databaseUrl = process.env.TEST_DATABASE_URL;
  let redisUrl = process.env.TEST_REDIS_URL;
  if (!databaseUrl) {
    const pg = await startPrivatePostgres();
    stops.push(() => pg.destroy());
    databaseUrl = pg.url;
  }
  if (!redisUrl) {
    const redis = await startPrivateRedis();
    stops.push(() => redis.stop());
    redisUrl = redis.url;
  }
  project.provide('databaseUrl', databaseUrl);
  project.provide('redisUrl', redisUrl);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
