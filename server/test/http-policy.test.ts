import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/servers.js';

describe('HTTP policy [embedded]', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ CORS_ORIGINS: 'https://app.lectio.example' }, { api: true, worker: false });
  });
  afterAll(() => server?.stop());

  it('allows CORS only for listed origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/api/v1/dev/mailbox`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
    const allowed = await preflight('https://app.lectio.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.lectio.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
