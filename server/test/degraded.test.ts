import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from './support/private-services.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';
import { mailedToken } from './support/accounts.js';

type Readiness = { status: string; checks: Record<string, { status: string; backend: string }> };

async function readiness(url: string): Promise<{ http: number; body: Readiness }> {
  const res = await fetch(`${url}/health/ready`);
  return { http: res.status, body: (await res.json()) as Readiness };
}

function login(url: string): Promise<Response> {
  return fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'student@lectio.localhost', password: 'lectio-student-demo' }),
  });
}

// Stops and starts a Redis of its own; the machine's shared Redis is never touched.
describe('Redis outage [private redis]', () => {
  let redis: PrivateRedis;
  let server: TestServer;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    server = await startTestServer({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('goes degraded naming the cache while pages are still served, then recovers without a restart', async () => {
    expect((await readiness(server.url)).body.status).toBe('ok');
    const signedIn = await login(server.url);
    expect(signedIn.status).toBe(200);
    const { accessToken } = (await signedIn.json()) as { accessToken: string };

    await redis.stop();
    const degraded = await waitUntil(async () => {
      const r = await readiness(server.url);
      return r.body.status === 'degraded' ? r : undefined;
    }, 'degraded readiness');
    // 200, not 503: the load balancer must keep the instance while the database serves.
    expect(degraded.http).toBe(200);
    expect(degraded.body.checks.cache).toMatchObject({ backend: 'redis', status: 'down' });
    expect(degraded.body.checks.database?.status).toBe('up');

    const page = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const api = await fetch(`${server.url}/api/v1/dev/mailbox`);
    // Rate limiting falls back to this instance's memory rather than failing the request.
    expect(api.status).toBe(200);
    // Signing in (log-in counters move to memory) and the per-request account check (read from
    // the database) keep working without the cache.
    expect((await login(server.url)).status).toBe(200);
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);

    await redis.start();
    const recovered = await waitUntil(
      async () => {
        const r = await readiness(server.url);
        return r.body.status === 'ok' ? r : undefined;
      },
      'readiness to recover',
      30_000,
    );
    expect(recovered.body.checks.cache?.status).toBe('up');
    expect(recovered.body.checks.queue?.status).toBe('up');

    // The worker consumes again: a reset mail goes through the queue and reaches the mailbox.
    const forgot = await fetch(`${server.url}/api/v1/auth/forgot-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'student@lectio.localhost' }),
    });
    expect(forgot.status).toBe(202);
    expect(await mailedToken(server.url, 'student@lectio.localhost', /reset-password\?token=([\w-]+)/)).toBeTruthy();
  });

  it('shuts down promptly after the outage (no worker left waiting on a dead connection)', async () => {
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
