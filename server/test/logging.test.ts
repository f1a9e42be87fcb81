import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { MemoryCache } from '../src/platform/cache/memory.js';
import { createLogger, redact, redactString } from '../src/platform/telemetry/logger.js';
import { startTracing, type Tracing } from '../src/platform/telemetry/tracing.js';
import { ApiClient } from './support/accounts.js';
import { PASSWORD, unique } from './support/catalog.js';
import { LogCapture } from './support/log-capture.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

/**
 * What a real server writes while it answers real requests: JSON lines, each request's lines
 * sharing its request id and trace id, and no password, token, cookie or signature anywhere.
 * Tracing runs as `lectio serve` runs it without a collector (ids made, nothing exported).
 */

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  traceId?: string;
  jobId?: string;
  route?: string;
  statusCode?: number;
  [key: string]: unknown;
}

class Capture extends LogCapture<LogLine> {}

const TRACE_ID = randomBytes(16).toString('hex');
const traceparent = (traceId: string) => `00-${traceId}-${randomBytes(8).toString('hex')}-01`;

let tracing: Tracing;
beforeAll(() => {
  tracing = startTracing({ serviceName: 'lectio-test' });
});
afterAll(async () => {
  await tracing.shutdown();
});

describe('request logs of a running server', () => {
  let server: TestServer;
  const capture = new Capture();
  const secrets: string[] = [];
  const ids = { login: `login-${unique()}`, me: `me-check-${unique()}` };

  beforeAll(async () => {
    server = await startTestServer(
      { TRUST_PROXY: 'true' },
      { api: true, worker: true },
      { logger: createLogger({ level: 'info', name: 'lectio', destination: capture }) },
    );
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('redacts credentials, tokens, cookies and signatures from every line', async () => {
    const email = `log-${unique()}@example.com`;
    await server.services.users.createUser({ email, password: PASSWORD, displayName: 'Log', role: 'student' });
    const client = new ApiClient(server.url, '10.77.0.1');
    const login = await client.login(email, PASSWORD);
    expect(login.status).toBe(200);
    secrets.push(PASSWORD, client.accessToken!, ...client.cookies.values());

    // A sane caller id is kept and echoed; the caller's trace is continued.
    const me = await client.call('GET', '/me', undefined, {
      'x-request-id': ids.me,
      traceparent: traceparent(TRACE_ID),
    });
    expect(me.status).toBe(200);
    expect(me.headers.get('x-request-id')).toBe(ids.me);

    const refreshed = await client.refresh();
    expect(refreshed.status).toBe(200);
    secrets.push(((await refreshed.json()) as { accessToken: string }).accessToken, ...client.cookies.values());

    // A wrong password, a forged bearer token, a forged playback token, a forged Stripe signature.
    const wrong = 'Wrong-horse-battery-9';
    secrets.push(wrong);
    expect((await client.call('POST', '/auth/login', { email, password: wrong })).status).toBe(401);
    const forgedJwt = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2lnbmF0dXJlLWZvcmdlZA`;
    secrets.push(forgedJwt);
    const anonymous = new ApiClient(server.url, '10.77.0.2');
    expect((await anonymous.call('GET', '/me', undefined, { authorization: `Bearer ${forgedJwt}` })).status).toBe(401);
    const mediaToken = `${Math.floor(Date.now() / 1000) + 600}.user-1.${randomBytes(32).toString('base64url')}`;
    secrets.push(mediaToken);
    const media = await fetch(`${server.url}/media/p/${mediaToken}/videos/${crypto.randomUUID()}/v1/master.m3u8`);
    expect(media.status).toBeGreaterThanOrEqual(400);
    const stripeSignature = `t=${Math.floor(Date.now() / 1000)},v1=${randomBytes(32).toString('hex')}`;
    secrets.push(stripeSignature.split('v1=')[1]!);
    const webhook = await fetch(`${server.url}/api/v1/payments/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature },
      body: JSON.stringify({ id: 'evt_forged', type: 'checkout.session.completed' }),
    });
    expect(webhook.status).toBeGreaterThanOrEqual(400);

    // An id that is not sane (spaces, too long) is replaced, not trusted.
    const insane = await fetch(`${server.url}/health/live`, { headers: { 'x-request-id': 'a b'.repeat(60) } });
    expect(insane.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    await waitUntil(
      async () => (capture.lines().some((l) => l.requestId === insane.headers.get('x-request-id')) ? true : undefined),
      'the last line',
    );
    const text = capture.text;
    for (const secret of secrets)
      expect(text.includes(secret), `a secret reached the log: ${secret.slice(0, 12)}…`).toBe(false);
    expect(text).toContain('/media/p/[redacted]/videos/');
  });

  it('gives every line of a request its request id and trace id, and one completion line at the right level', () => {
    const lines = capture.lines();
    const byRequest = new Map<string, LogLine[]>();
    for (const line of lines.filter((l) => l.requestId)) {
      byRequest.set(line.requestId!, [...(byRequest.get(line.requestId!) ?? []), line]);
    }
    expect(byRequest.size).toBeGreaterThanOrEqual(8);
    for (const [requestId, group] of byRequest) {
      const traceIds = new Set(group.map((l) => l.traceId));
      expect(traceIds.size, `request ${requestId}: ${JSON.stringify(group)}`).toBe(1);
      expect([...traceIds][0]).toMatch(/^[0-9a-f]{32}$/);
      const completions = group.filter((l) => l.msg === 'request completed' || l.msg === 'request failed');
      expect(completions).toHaveLength(1);
    }
    // The caller's traceparent was continued.
    expect(byRequest.get(ids.me)?.[0]?.traceId).toBe(TRACE_ID);
    const me = byRequest.get(ids.me)![0]!;
    expect(me).toMatchObject({ level: 30, route: '/api/v1/me', statusCode: 200, method: 'GET' });
    // Client errors are INFO (normal traffic), not WARN or ERROR.
    const unauthorized = lines.filter((l) => l.statusCode === 401);
    expect(unauthorized.length).toBeGreaterThan(0);
    expect(unauthorized.every((l) => l.level === 30)).toBe(true);
  });
});

describe('lines a failing request writes', () => {
  it('all share its ids, the failure is ERROR, and secrets in messages and errors are redacted', async () => {
    const capture = new Capture();
    const logger = createLogger({ level: 'info', name: 'lectio', destination: capture });
    const config = loadConfig({ LECTIO_DATA_DIR: '/nonexistent', LOG_LEVEL: 'info' });
    const app = await buildApp({
      config,
      logger,
      cache: new MemoryCache(),
      authenticator: { authenticate: () => Promise.reject(new Error('no users here')) },
      routes: [
        async (routes) => {
          routes.post('/boom', async (request) => {
            // A service logs through the process logger, not the request's: the ids still follow.
            logger.info({ body: request.body }, 'service saw a sign-up');
            await new Promise((resolve) => setTimeout(resolve, 5));
            request.log.warn({ headers: request.headers }, 'cache unreachable; answered from the database');
            throw new Error('connect to postgres://lectio:db-pass-123@db:5432/lectio failed for Bearer abc.def.ghi');
          });
        },
      ],
    });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/boom?token=query-token-123&page=2',
        headers: {
          'content-type': 'application/json',
          'x-request-id': 'boom-request-0001',
          cookie: 'lectio_refresh=refresh-cookie-123',
          'stripe-signature': 't=1,v1=deadbeefdeadbeef',
          'idempotency-key': 'idem-key-visible-1',
        },
        payload: { email: 'a@example.com', password: 'body-password-123', nested: { refreshToken: 'nested-tok-123' } },
      });
      expect(res.statusCode).toBe(500);
    } finally {
      await app.close();
    }
    const lines = capture.lines().filter((l) => l.requestId === 'boom-request-0001');
    expect(lines.map((l) => l.msg)).toEqual([
      'service saw a sign-up',
      'cache unreachable; answered from the database',
      'unhandled error',
      'request failed',
    ]);
    expect(new Set(lines.map((l) => l.traceId)).size).toBe(1);
    expect(lines[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines.map((l) => l.level)).toEqual([30, 40, 50, 50]);
    for (const secret of [
      'body-password-123',
      'nested-tok-123',
      'refresh-cookie-123',
      'deadbeefdeadbeef',
      'db-pass-123',
      'abc.def.ghi',
      'query-token-123',
    ]) {
      expect(capture.text).not.toContain(secret);
    }
    // Not secret, and needed to trace a retried payment.
    expect(capture.text).toContain('idem-key-visible-1');
    expect(capture.text).toContain('a@example.com');
  });

  it('redacts the shapes secrets come in', () => {
    expect(redactString('GET /media/p/123.u.abc/videos/x/seg.ts')).toBe('GET /media/p/[redacted]/videos/x/seg.ts');
    expect(redactString('https://s3/x?X-Amz-Signature=abc&X-Amz-Credential=AKIA&part=1')).toBe(
      'https://s3/x?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]&part=1',
    );
    expect(redactString('redis://:s3cret@cache:6379')).toBe('redis://:[redacted]@cache:6379');
    expect(redact({ Authorization: 'Bearer x', apiKey: 'k', passwordHash: 'h', dedupeKey: 'keep' })).toEqual({
      Authorization: '[redacted]',
      apiKey: '[redacted]',
      passwordHash: '[redacted]',
      dedupeKey: 'keep',
    });
  });
});
