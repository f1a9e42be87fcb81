import { describe, expect, it } from 'vitest';
import { HealthService, type HealthCheckTarget } from './service.js';

const up = (name: string, critical = false): HealthCheckTarget => ({
  name,
  backend: 'x',
  critical,
  ping: async () => {},
});
const down = (name: string, critical = false): HealthCheckTarget => ({
  name,
  backend: 'x',
  critical,
  ping: async () => {
    throw new Error(`${name} refused`);
  },
});
const hangs = (name: string): HealthCheckTarget => ({
  name,
  backend: 'x',
  critical: false,
  ping: () => new Promise(() => {}),
});

describe('HealthService', () => {
  it('is ok when everything answers', async () => {
    const report = await new HealthService([up('database', true), up('cache')]).readiness();
    expect(report.status).toBe('ok');
    expect(report.checks.cache).toMatchObject({ status: 'up', backend: 'x' });
  });

  it('is degraded, not down, when only a non-critical port fails, and names it', async () => {
    const report = await new HealthService([up('database', true), down('cache'), up('queue')]).readiness();
    expect(report.status).toBe('degraded');
    expect(report.checks.cache).toMatchObject({ status: 'down', error: 'cache refused' });
    expect(report.checks.queue?.status).toBe('up');
  });

  it('is down when the database fails', async () => {
    const report = await new HealthService([down('database', true), up('cache')]).readiness();
    expect(report.status).toBe('down');
  });

  it('does not wait forever for a port that hangs', async () => {
    const started = Date.now();
    const report = await new HealthService([up('database', true), hangs('storage')], 200).readiness();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(report.checks.storage).toMatchObject({ status: 'down', error: 'no answer within 200 ms' });
  });
});
