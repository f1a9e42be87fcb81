import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';

const poolOf = (env: Record<string, string>) => {
  const { database } = loadConfig({ DATABASE_URL: 'postgres://db/lectio', ...env }, '/srv');
  if (database.backend !== 'postgres') throw new Error('expected PostgreSQL');
  return database.poolMax;
};

describe('PostgreSQL pool size per API process', () => {
  it('shares the host budget (20 by default) over the API processes, 10 at most and 2 at least', () => {
    expect(poolOf({})).toBe(10);
    expect(poolOf({ LECTIO_API_PROCESSES: '2' })).toBe(10);
    expect(poolOf({ LECTIO_API_PROCESSES: '4' })).toBe(5);
    expect(poolOf({ LECTIO_API_PROCESSES: '16' })).toBe(2);
    expect(poolOf({ LECTIO_API_PROCESSES: '4', DATABASE_POOL_TOTAL: '8' })).toBe(2);
  });

  it('takes an explicit DATABASE_POOL_MAX as it is', () => {
    expect(poolOf({ DATABASE_POOL_MAX: '3', LECTIO_API_PROCESSES: '1' })).toBe(3);
    expect(poolOf({ DATABASE_POOL_MAX: '40', LECTIO_API_PROCESSES: '8' })).toBe(40);
  });
});
