import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPostgresDatabase, type TestDatabase } from './support/databases.js';
import { startS3rver } from './support/s3rver.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

interface Backends {
  env: () => Promise<{ env: Record<string, string>; dispose: () => Promise<void> }>;
  expected: Record<string, string>;
}

const matrix: [string, Backends][] = [
  [
    'embedded',
    {
      env: async () => ({ env: {}, dispose: async () => {} }),
      expected: { database: 'pglite', cache: 'memory', queue: 'embedded', storage: 'local', mail: 'outbox' },
    },
  ],
  [
    'postgres+redis+s3',
    {
      env: async () => {
        const database: TestDatabase = await createPostgresDatabase({ migrate: false });
        const s3 = await startS3rver();
        return {
          env: {
            DATABASE_URL: database.url!,
            REDIS_URL: inject('redisUrl'),
            S3_ENDPOINT: s3.endpoint,
            S3_ACCESS_KEY_ID: 'S3RVER',
            S3_SECRET_ACCESS_KEY: 'S3RVER',
            SEED_DEMO_DATA: 'true',
          },
          dispose: async () => {
            await s3.stop();
            await database.dispose();
          },
        };
      },
      expected: { database: 'postgres', cache: 'redis', queue: 'bullmq', storage: 's3', mail: 'outbox' },
    },
  ],
];

describe.each(matrix)('Lectio server [%s]', (_name, backends) => {
  let server: TestServer;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const setup = await backends.env();
    dispose = setup.dispose;
    server = await startTestServer(setup.env);
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('reports every port up with its backend at /health/ready', async () => {
    const res = await fetch(`${server.url}/health/ready`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { backend: string; status: string }> };
    expect(body.status).toBe('ok');
    for (const [port, backend] of Object.entries(backends.expected)) {
      expect(body.checks[port]).toMatchObject({ backend, status: 'up' });
    }
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  });

  it('answers unknown API routes and bad input with the one error shape', async () => {
    const missing = await fetch(`${server.url}/api/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });

    const invalid = await fetch(`${server.url}/api/v1/dev/mailbox?limit=abc`);
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { error: { code: string; details: { issues: unknown[] } } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.issues.length).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('keeps a caller request id and makes one otherwise', async () => {
    const kept = await fetch(`${server.url}/health/live`, { headers: { 'x-request-id': 'lb-req-12345678' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-req-12345678');
    const made = await fetch(`${server.url}/health/live`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers with a strict content security policy', async () => {
    const res = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('sends the document policy on pages and assets, and the API policy on every API answer', async () => {
    const page = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
    const asset = /(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect(asset).toBeDefined();
    const documents = { page, asset: await fetch(`${server.url}${asset}`) };
    const apiAnswers = {
      json: await fetch(`${server.url}/api/v1/courses`),
      unauthenticated: await fetch(`${server.url}/api/v1/me/learning`),
      notFound: await fetch(`${server.url}/api/v1/no-such-route`),
      badUrl: await fetch(`${server.url}/api/v1/courses/%E0%A4%A`),
    };
    const statuses = Object.fromEntries(
      Object.entries({ ...documents, ...apiAnswers }).map(([kind, res]) => [kind, res.status]),
    );
    expect(statuses).toEqual({ page: 200, asset: 200, json: 200, unauthenticated: 401, notFound: 404, badUrl: 400 });
    const sent = (kind: string, res: Response) => ({
      kind,
      csp: res.headers.get('content-security-policy'),
      nosniff: res.headers.get('x-content-type-options'),
      frame: res.headers.get('x-frame-options'),
      referrer: res.headers.get('referrer-policy'),
      resources: res.headers.get('cross-origin-resource-policy'),
      opener: res.headers.get('cross-origin-opener-policy'),
      poweredBy: res.headers.get('x-powered-by'),
    });
    const common = {
      nosniff: 'nosniff',
      frame: 'DENY',
      referrer: 'no-referrer',
      resources: 'same-origin',
      poweredBy: null,
    };
    const documentPolicy = page.headers.get('content-security-policy') ?? '';
    expect(documentPolicy).toContain("script-src 'self'");
    for (const [kind, res] of Object.entries(documents)) {
      expect(sent(kind, res)).toEqual({ kind, csp: documentPolicy, opener: 'same-origin', ...common });
    }
    // JSON is never rendered as a page: nothing may load from it, nothing may frame it, and the
    // headers only a document uses are left out.
    for (const [kind, res] of Object.entries(apiAnswers)) {
      expect(sent(kind, res)).toEqual({
        kind,
        csp: "default-src 'none';frame-ancestors 'none'",
        opener: null,
        ...common,
      });
      for (const documentOnly of ['origin-agent-cluster', 'x-dns-prefetch-control', 'x-xss-protection']) {
        expect(res.headers.get(documentOnly), `${kind}: ${documentOnly}`).toBeNull();
      }
    }
  });

  it('serves the web app, with client-side routes falling back to index.html', async () => {
    const home = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toContain('text/html');
    const html = await home.text();
    expect(html).toContain('<div id="root">');
    const deep = await fetch(`${server.url}/courses/some-course`, { headers: { accept: 'text/html' } });
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(html);
  });

  it('publishes an OpenAPI 3 document and interactive docs', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/api/v1/dev/mailbox']),
    );
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/storage'))).toBe(false);
    const docs = await fetch(`${server.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('runs a queued email job through the worker into the dev mailbox', async () => {
    const subject = `Welcome ${Date.now()}`;
    await server.services.notifications.sendEmail({ to: ['student@example.com'], subject, text: '환영합니다' });
    const mail = await waitUntil(async () => {
      const body = (await (await fetch(`${server.url}/api/v1/dev/mailbox`)).json()) as {
        items: { id: string; subject: string; to: string[] }[];
      };
      return body.items.find((m) => m.subject === subject);
    }, 'the email to reach the mailbox');
    expect(mail.to).toEqual(['student@example.com']);
    const one = (await (await fetch(`${server.url}/api/v1/dev/mailbox/${mail.id}`)).json()) as { text: string };
    expect(one.text).toBe('환영합니다');
  });

  it('seeds the demo users on a new install', async () => {
    expect(await server.services.users.findByEmail('instructor@lectio.localhost')).toMatchObject({
      role: 'instructor',
    });
  });
});

describe('Lectio server [production mode]', () => {
  it('has no dev mailbox and no demo users in production', async () => {
    const server = await startTestServer({
      NODE_ENV: 'production',
      APP_SECRET: 'p'.repeat(40),
      JWT_SIGNING_KEYS: `k1:${'j'.repeat(40)}`,
      PLAYBACK_SIGNING_KEY: 'k'.repeat(40),
      SEED_DEMO_DATA: 'false',
    });
    try {
      const res = await fetch(`${server.url}/api/v1/dev/mailbox`);
      expect(res.status).toBe(404);
      const ready = await waitUntil(async () => {
        const r = await fetch(`${server.url}/health/ready`);
        return r.status === 200 ? r : undefined;
      }, 'ready');
      expect(ready.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
