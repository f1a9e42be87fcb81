import { describe, expect, it, vi } from 'vitest';
import type { Session } from '../api/accountsTypes';
import { REFRESH_PATH, SessionManager, type SessionManagerDeps } from './sessionManager';

function session(token: string, expiresIn = 900): Session {
  return {
    accessToken: token,
    expiresIn,
    user: {
      id: 'u1',
      email: 'kim@example.com',
      displayName: 'Kim',
      role: 'student',
      locale: 'ko',
      emailVerified: true,
      marketingConsent: false,
      createdAt: '2026-01-01T00:00:00.000Z',
    },
  };
}

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

interface Call {
  url: string;
  init: RequestInit | undefined;
}

/** A fake fetch answering from a script, recording every call. */
function fakeFetch(answer: (call: Call, index: number) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    return answer(call, calls.length - 1);
  });
  return { fetch, calls };
}

function manager(fetch: SessionManagerDeps['fetch'], overrides: Partial<SessionManagerDeps> = {}) {
  const timers: { callback: () => void; ms: number }[] = [];
  const sessions = new SessionManager({
    fetch,
    readCsrfToken: () => 'csrf-1',
    sleep: () => Promise.resolve(),
    setTimer: (callback, ms) => timers.push({ callback, ms }),
    clearTimer: () => undefined,
    now: () => 1_000_000,
    ...overrides,
  });
  return { sessions, timers };
}

const header = (call: Call | undefined, name: string) => new Headers(call?.init?.headers).get(name);

describe('SessionManager.refresh', () => {
  it('posts to /auth/refresh with the CSRF header and credentials, then is signed in', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, session('t1')));
    const { sessions } = manager(fetch);
    expect(sessions.getState().status).toBe('loading');

    expect(await sessions.refresh()).toBe(true);

    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe(REFRESH_PATH);
    expect(calls[0]?.init?.method).toBe('POST');
    expect(calls[0]?.init?.credentials).toBe('include');
    expect(header(calls[0], 'X-CSRF-Token')).toBe('csrf-1');
    expect(sessions.getState()).toMatchObject({ status: 'authenticated', accessToken: 't1', expiresAt: 1_900_000 });
  });

  it('shares one request between concurrent callers', async () => {
    let release: (response: Response) => void = () => undefined;
    const { fetch } = fakeFetch((_, index) =>
      index === 0 ? new Promise<Response>((resolve) => (release = resolve)) : json(200, session('t2')),
    );
    const { sessions } = manager(fetch);

    const results = Promise.all([sessions.refresh(), sessions.refresh(), sessions.refresh()]);
    await vi.waitFor(() => expect(fetch).toHaveBeenCalled());
    release(json(200, session('t1')));

    expect(await results).toEqual([true, true, true]);
    expect(fetch).toHaveBeenCalledTimes(1);
    // Once settled, a later refresh is a new request.
    await sessions.refresh();
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('waits and retries on 409 refresh_raced, re-reading the rotated CSRF cookie', async () => {
    const csrf = ['csrf-old', 'csrf-new'];
    const { fetch, calls } = fakeFetch((_, index) =>
      index === 0 ? json(409, { error: { code: 'refresh_raced', message: 'raced' } }) : json(200, session('t2')),
    );
    const sleep = vi.fn(() => Promise.resolve());
    const { sessions } = manager(fetch, { sleep, readCsrfToken: () => csrf.shift() });

    expect(await sessions.refresh()).toBe(true);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(calls.map((call) => header(call, 'X-CSRF-Token'))).toEqual(['csrf-old', 'csrf-new']);
    expect(sessions.accessToken).toBe('t2');
  });

  it('gives up after a few races and signs out', async () => {
    const { fetch } = fakeFetch(() => json(409, { error: { code: 'refresh_raced', message: 'raced' } }));
    const { sessions } = manager(fetch);
    expect(await sessions.refresh()).toBe(false);
    expect(fetch).toHaveBeenCalledTimes(4);
    expect(sessions.getState().status).toBe('anonymous');
  });

  it('is anonymous without a CSRF cookie, without asking the server', async () => {
    const { fetch } = fakeFetch(() => json(200, session('t1')));
    const { sessions } = manager(fetch, { readCsrfToken: () => undefined });
    expect(await sessions.refresh()).toBe(false);
    expect(fetch).not.toHaveBeenCalled();
    expect(sessions.getState().status).toBe('anonymous');
  });

  it('is anonymous after 401 refresh_invalid', async () => {
    const { fetch } = fakeFetch(() => json(401, { error: { code: 'refresh_invalid', message: 'no' } }));
    const { sessions } = manager(fetch);
    expect(await sessions.refresh()).toBe(false);
    expect(sessions.getState().status).toBe('anonymous');
  });

  it('schedules the next renewal a minute before expiry', async () => {
    const { fetch } = fakeFetch(() => json(200, session('t1', 900)));
    const { sessions, timers } = manager(fetch);
    await sessions.refresh();
    expect(timers.map((timer) => timer.ms)).toEqual([840_000]);
    timers[0]?.callback();
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(2));
  });

  it('notifies subscribers of every state change', async () => {
    const { fetch } = fakeFetch(() => json(200, session('t1')));
    const { sessions } = manager(fetch);
    const listener = vi.fn();
    const unsubscribe = sessions.subscribe(listener);
    await sessions.refresh();
    sessions.clear();
    unsubscribe();
    sessions.clear();
    expect(listener).toHaveBeenCalledTimes(2);
  });
});

describe('SessionManager.fetch', () => {
  it('sends the bearer token', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, {}));
    const { sessions } = manager(fetch);
    sessions.setSession(session('t1'));
    await sessions.fetch('/api/v1/me');
    expect(header(calls[0], 'Authorization')).toBe('Bearer t1');
  });

  it('on 401 refreshes once and retries once with the new token', async () => {
    const { fetch, calls } = fakeFetch((call) => {
      if (call.url === REFRESH_PATH) return json(200, session('t2'));
      return header(call, 'Authorization') === 'Bearer t2'
        ? json(200, { ok: true })
        : json(401, { error: { code: 'token_expired', message: 'expired' } });
    });
    const { sessions } = manager(fetch);
    sessions.setSession(session('t1'));

    const response = await sessions.fetch('/api/v1/me', { method: 'PATCH', body: '{"displayName":"Lee"}' });

    expect(response.status).toBe(200);
    expect(calls.map((call) => call.url)).toEqual(['/api/v1/me', REFRESH_PATH, '/api/v1/me']);
    expect(calls[2]?.init?.body).toBe('{"displayName":"Lee"}');
  });

  it('returns the 401 when the refresh fails, without a second retry', async () => {
    const { fetch, calls } = fakeFetch((call) =>
      call.url === REFRESH_PATH
        ? json(401, { error: { code: 'refresh_invalid', message: 'no' } })
        : json(401, { error: { code: 'token_expired', message: 'expired' } }),
    );
    const { sessions } = manager(fetch);
    sessions.setSession(session('t1'));
    const response = await sessions.fetch('/api/v1/me');
    expect(response.status).toBe(401);
    expect(calls).toHaveLength(2);
    expect(sessions.getState().status).toBe('anonymous');
  });

  it('refreshes once for parallel requests that all get 401', async () => {
    const { fetch, calls } = fakeFetch(async (call) => {
      if (call.url === REFRESH_PATH) return json(200, session('t2'));
      return header(call, 'Authorization') === 'Bearer t2' ? json(200, {}) : json(401, {});
    });
    const { sessions } = manager(fetch);
    sessions.setSession(session('t1'));
    const responses = await Promise.all([sessions.fetch('/a'), sessions.fetch('/b'), sessions.fetch('/c')]);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(calls.filter((call) => call.url === REFRESH_PATH)).toHaveLength(1);
  });
});
