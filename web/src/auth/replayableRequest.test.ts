import { describe, expect, it, vi } from 'vitest';
import { replayableRequestFetch } from './replayableRequest';
import { REFRESH_PATH, SessionManager } from './sessionManager';

describe('replayableRequestFetch', () => {
  it('passes method, headers and the body as a string', async () => {
    const fetch = vi.fn(async (_url: string, _init: RequestInit) => new Response(null, { status: 204 }));
    const request = new Request('http://lectio.test/api/v1/me', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: '{"displayName":"Lee"}',
    });

    await replayableRequestFetch(fetch)(request);

    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe('http://lectio.test/api/v1/me');
    expect(init?.method).toBe('PATCH');
    expect(init?.body).toBe('{"displayName":"Lee"}');
    expect(init?.credentials).toBe('include');
    expect(new Headers(init?.headers).get('Content-Type')).toBe('application/json');
  });

  it('sends no body for a GET', async () => {
    const fetch = vi.fn(async (_url: string, _init: RequestInit) => new Response('{}'));
    await replayableRequestFetch(fetch)(new Request('http://lectio.test/api/v1/me'));
    expect(fetch.mock.calls[0]?.[1].body).toBeNull();
  });

  it('lets the session resend the same body after refreshing on 401', async () => {
    const bodies: unknown[] = [];
    const network = vi.fn(async (url: string, init?: RequestInit) => {
      if (url === REFRESH_PATH) {
        return Response.json({ accessToken: 't2', expiresIn: 900, user: { id: 'u1' } });
      }
      bodies.push(init?.body);
      const authorized = new Headers(init?.headers).get('Authorization') === 'Bearer t2';
      return new Response(null, { status: authorized ? 204 : 401 });
    });
    const session = new SessionManager({
      fetch: network,
      readCsrfToken: () => 'csrf',
      setTimer: () => undefined,
      clearTimer: () => undefined,
    });
    session.setSession({ accessToken: 't1', expiresIn: 900, user: {} as never });
    const request = new Request('http://lectio.test/api/v1/me/password', {
      method: 'POST',
      body: '{"currentPassword":"a","newPassword":"b"}',
    });

    const response = await replayableRequestFetch((url, init) => session.fetch(url, init))(request);

    expect(response.status).toBe(204);
    expect(bodies).toEqual(['{"currentPassword":"a","newPassword":"b"}', '{"currentPassword":"a","newPassword":"b"}']);
  });
});
