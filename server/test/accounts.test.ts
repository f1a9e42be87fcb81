import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiClient, errorCode, mailedToken, mailsTo } from './support/accounts.js';
import { createPostgresDatabase } from './support/databases.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

const VERIFY_LINK = /\/verify-email\?token=([A-Za-z0-9_-]+)/;
const RESET_LINK = /\/reset-password\?token=([A-Za-z0-9_-]+)/;
const PASSWORD = 'a long enough password';

type Setup = () => Promise<{ env: Record<string, string>; dispose: () => Promise<void> }>;

const matrix: [string, Setup][] = [
  ['embedded', async () => ({ env: {}, dispose: async () => {} })],
  [
    'postgres+redis',
    async () => {
      const database = await createPostgresDatabase({ migrate: false });
      return {
        env: { DATABASE_URL: database.url!, REDIS_URL: inject('redisUrl'), SEED_DEMO_DATA: 'true' },
        dispose: () => database.dispose(),
      };
    },
  ],
];

describe.each(matrix)('accounts API [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let ipCounter = 0;
  // Each test signs in from its own address, so the per-IP limits of one test do not leak into another.
  const client = () => new ApiClient(server.url, `10.0.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`);

  /** Registers, verifies through the mailed link, and returns a signed-in client. */
  async function signedUp(email: string, password = PASSWORD): Promise<ApiClient> {
    const c = client();
    const res = await c.call('POST', '/auth/register', {
      email,
      password,
      displayName: '테스트 Tester',
      locale: 'ko',
      consents: { terms: true, privacy: true, marketing: false },
    });
    expect(res.status).toBe(202);
    const token = await mailedToken(server.url, email, VERIFY_LINK);
    expect((await c.call('POST', '/auth/verify-email', { token })).status).toBe(200);
    expect((await c.login(email, password)).status).toBe(200);
    return c;
  }

  const unique = (name: string) => `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}@example.com`;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    // A 1-second reuse grace keeps the reuse test quick; the default is 10 s.
    server = await startTestServer({ ...s.env, TRUST_PROXY: 'true', REFRESH_REUSE_GRACE_SECONDS: '1' });
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('registers, mails a verification link, refuses log-in until verified, then signs in to /me', async () => {
    const email = unique('new');
    const c = client();
    const registered = await c.call('POST', '/auth/register', {
      email,
      password: PASSWORD,
      displayName: '새 사용자',
      locale: 'ko',
      consents: { terms: true, privacy: true, marketing: true },
    });
    expect(registered.status).toBe(202);
    expect(await registered.json()).toEqual({ status: 'verification_sent' });

    const early = await c.login(email, PASSWORD);
    expect(early.status).toBe(403);
    expect(await errorCode(early)).toBe('email_not_verified');

    const token = await mailedToken(server.url, email, VERIFY_LINK);
    expect(await (await c.call('POST', '/auth/verify-email', { token })).json()).toEqual({ status: 'verified' });
    const again = await c.call('POST', '/auth/verify-email', { token });
    expect(again.status).toBe(400);
    expect(await errorCode(again)).toBe('invalid_token');

    const login = await c.login(email, PASSWORD);
    expect(login.status).toBe(200);
    const session = (await login.json()) as { expiresIn: number; user: { email: string } };
    expect(session.expiresIn).toBe(900);
    expect(session.user.email).toBe(email);
    const setCookies = login.headers.getSetCookie().join('\n');
    expect(setCookies).toMatch(/lectio_refresh=[^;]+;.*Path=\/api\/v1\/auth;.*HttpOnly;.*SameSite=Strict/);
    expect(setCookies).toMatch(/lectio_csrf=[^;]+;.*Path=\//);

    const me = await c.call('GET', '/me');
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      email,
      displayName: '새 사용자',
      role: 'student',
      emailVerified: true,
      marketingConsent: true,
    });

    const patched = await c.call('PATCH', '/me', { displayName: 'Renamed', marketingConsent: false });
    expect(await patched.json()).toMatchObject({ displayName: 'Renamed', marketingConsent: false });
    // The 30-minute profile cache was cleared by the change.
    expect(await (await c.call('GET', '/me')).json()).toMatchObject({ displayName: 'Renamed' });
  });

  it('refuses consent left out and a short password, with their codes', async () => {
    const c = client();
    const base = { email: unique('bad'), displayName: 'X', locale: 'en' };
    const noConsent = await c.call('POST', '/auth/register', {
      ...base,
      password: PASSWORD,
      consents: { terms: true, privacy: false, marketing: false },
    });
    expect(noConsent.status).toBe(400);
    expect(await errorCode(noConsent)).toBe('consent_required');
    const short = await c.call('POST', '/auth/register', {
      ...base,
      password: 'short',
      consents: { terms: true, privacy: true, marketing: false },
    });
    expect(short.status).toBe(400);
    expect(await errorCode(short)).toBe('invalid_password');
  });

  it('does not reveal whether an email is registered', async () => {
    const email = unique('known');
    await signedUp(email);
    const c = client();
    const body = (e: string) => ({
      email: e,
      password: PASSWORD,
      displayName: 'Someone',
      locale: 'en',
      consents: { terms: true, privacy: true, marketing: false },
    });
    const taken = await c.call('POST', '/auth/register', body(email));
    const fresh = await c.call('POST', '/auth/register', body(unique('fresh')));
    expect([taken.status, fresh.status]).toEqual([202, 202]);
    expect(await taken.json()).toEqual(await fresh.json());

    const forgotKnown = await c.call('POST', '/auth/forgot-password', { email });
    const forgotUnknown = await c.call('POST', '/auth/forgot-password', { email: unique('nobody') });
    expect([forgotKnown.status, forgotUnknown.status]).toEqual([202, 202]);
    expect(await forgotKnown.json()).toEqual(await forgotUnknown.json());

    const wrongKnown = await c.login(email, 'a wrong password!');
    const wrongUnknown = await c.login(unique('nobody'), 'a wrong password!');
    expect([wrongKnown.status, wrongUnknown.status]).toEqual([401, 401]);
    expect(await wrongKnown.json()).toEqual(await wrongUnknown.json());

    // The owner is told someone tried to register with their address.
    await waitUntil(
      async () =>
        (await mailsTo(server.url, email)).some((m) => /already has an account/.test(m.text)) ? true : undefined,
      'the someone-tried mail',
    );
  });

  it('rotates the refresh token; a reuse within the grace is raced, later it revokes the family', async () => {
    const c = await signedUp(unique('refresh'));
    const first = c.cookies.get('lectio_refresh')!;

    const noCsrf = await c.call('POST', '/auth/refresh');
    expect(noCsrf.status).toBe(403);
    expect(await errorCode(noCsrf)).toBe('csrf_failed');
    const wrongCsrf = await c.call('POST', '/auth/refresh', undefined, { 'x-csrf-token': 'forged' });
    expect(await errorCode(wrongCsrf)).toBe('csrf_failed');

    const rotated = await c.refresh();
    expect(rotated.status).toBe(200);
    const second = c.cookies.get('lectio_refresh')!;
    expect(second).not.toBe(first);
    c.accessToken = ((await rotated.json()) as { accessToken: string }).accessToken;
    expect((await c.call('GET', '/me')).status).toBe(200);

    // Another tab still holding the first cookie, right away: a race, not a theft.
    const tab = new ApiClient(server.url, c.ip);
    tab.cookies.set('lectio_refresh', first);
    tab.cookies.set('lectio_csrf', c.cookies.get('lectio_csrf')!);
    const raced = await tab.refresh();
    expect(raced.status).toBe(409);
    expect(await errorCode(raced)).toBe('refresh_raced');

    // After the grace window the same reuse looks like a stolen token: the whole family goes.
    await new Promise((r) => setTimeout(r, 1_300));
    const reused = await tab.refresh();
    expect(reused.status).toBe(401);
    expect(await errorCode(reused)).toBe('refresh_invalid');
    const owner = await c.refresh();
    expect(owner.status).toBe(401);
    expect(await errorCode(owner)).toBe('refresh_invalid');
    const me = await c.call('GET', '/me');
    expect(me.status).toBe(401);
    expect(await errorCode(me)).toBe('session_revoked');
  });

  it('logs out with the CSRF token, ending the session', async () => {
    const c = await signedUp(unique('logout'));
    expect((await c.call('POST', '/auth/logout')).status).toBe(403);
    const out = await c.call('POST', '/auth/logout', undefined, { 'x-csrf-token': c.cookies.get('lectio_csrf')! });
    expect(out.status).toBe(204);
    expect(c.cookies.has('lectio_refresh')).toBe(false);
    const me = await c.call('GET', '/me');
    expect(await errorCode(me)).toBe('session_revoked');
  });

  it('locks an account after 20 wrong passwords, the right one included, and no other account', async () => {
    const email = unique('locked');
    const other = unique('other');
    await signedUp(email);
    await signedUp(other);
    const attacker = client();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await attacker.login(email, `wrong password ${i}`)).status);
    expect(statuses.slice(0, 19).every((s) => s === 401)).toBe(true);
    expect(statuses[19]).toBe(429);

    const owner = client();
    const right = await owner.login(email, PASSWORD);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(right.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await errorCode(right)).toBe('account_locked');

    expect((await client().login(other, PASSWORD)).status).toBe(200);
  });

  it('limits log-in attempts per IP', async () => {
    const c = client();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await c.login(unique('flood'), 'a wrong password!')).status);
    expect(statuses.every((s) => s === 401)).toBe(true);
    const limited = await c.login(unique('flood'), 'a wrong password!');
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('cuts a deactivated account off at once, even with an unexpired access token', async () => {
    const c = await signedUp(unique('leaving'));
    const token = c.accessToken;
    const wrong = await c.call('POST', '/me/deactivate', { password: 'not my password' });
    expect(wrong.status).toBe(403);
    expect(await errorCode(wrong)).toBe('wrong_password');
    expect((await c.call('POST', '/me/deactivate', { password: PASSWORD })).status).toBe(204);
    c.accessToken = token;
    const me = await c.call('GET', '/me');
    expect(me.status).toBe(401);
    expect(await errorCode(me)).toBe('account_deactivated');
  });

  it('resets a password with a single-use mailed link, signing every session out', async () => {
    const email = unique('forgot');
    const c = await signedUp(email);
    const anon = client();
    expect((await anon.call('POST', '/auth/forgot-password', { email })).status).toBe(202);
    const token = await mailedToken(server.url, email, RESET_LINK);

    const weak = await anon.call('POST', '/auth/reset-password', { token, password: 'short' });
    expect(await errorCode(weak)).toBe('invalid_password');
    const newPassword = 'a brand new password';
    expect((await anon.call('POST', '/auth/reset-password', { token, password: newPassword })).status).toBe(204);
    const reused = await anon.call('POST', '/auth/reset-password', { token, password: 'yet another password' });
    expect(reused.status).toBe(400);
    expect(await errorCode(reused)).toBe('invalid_token');

    expect(await errorCode(await c.call('GET', '/me'))).toBe('session_revoked');
    expect((await client().login(email, PASSWORD)).status).toBe(401);
    expect((await client().login(email, newPassword)).status).toBe(200);
  });

  it('lists and revokes my sessions, changes my password and exports my data', async () => {
    const email = unique('devices');
    const laptop = await signedUp(email);
    const phone = client();
    expect((await phone.login(email, PASSWORD)).status).toBe(200);
    const { items } = (await (await laptop.call('GET', '/me/sessions')).json()) as {
      items: { id: string; current: boolean }[];
    };
    expect(items).toHaveLength(2);
    const phoneSession = items.find((s) => !s.current)!;
    expect((await laptop.call('DELETE', `/me/sessions/${phoneSession.id}`)).status).toBe(204);
    expect(await errorCode(await phone.call('GET', '/me'))).toBe('session_revoked');
    expect(await errorCode(await laptop.call('DELETE', `/me/sessions/${phoneSession.id}`))).toBe('session_not_found');

    const changed = await laptop.call('POST', '/me/password', {
      currentPassword: PASSWORD,
      newPassword: 'another long password',
    });
    expect(changed.status).toBe(204);
    expect((await laptop.call('GET', '/me')).status).toBe(200);

    const exported = await laptop.call('GET', '/me/export');
    expect(exported.headers.get('content-disposition')).toContain('attachment');
    const data = (await exported.json()) as { account: { email: string } };
    expect(data.account.email).toBe(email);
    expect(JSON.stringify(data)).not.toContain('argon2');
  });

  it('deletes an account by anonymising it', async () => {
    const email = unique('erase');
    const c = await signedUp(email);
    expect((await c.call('DELETE', '/me', { password: PASSWORD })).status).toBe(204);
    expect((await c.call('GET', '/me')).status).toBe(401);
    expect((await client().login(email, PASSWORD)).status).toBe(401);
    const row = await server.services.users.findByEmail(email);
    expect(row).toBeUndefined();
  });

  it('lets an admin search users and change a role; others get 403, anonymous 401', async () => {
    const email = unique('promote');
    const student = await signedUp(email);
    const admin = client();
    expect((await admin.login('admin@lectio.localhost', 'lectio-admin-demo')).status).toBe(200);

    const search = await admin.call('GET', `/admin/users?q=${encodeURIComponent(email.slice(0, 20))}`);
    expect(search.status).toBe(200);
    const page = (await search.json()) as { items: { id: string; email: string }[]; total: number };
    expect(page.total).toBe(1);
    const target = page.items[0]!;
    expect(target.email).toBe(email);

    const promoted = await admin.call('PATCH', `/admin/users/${target.id}`, { role: 'instructor' });
    expect(await promoted.json()).toMatchObject({ role: 'instructor', status: 'active' });
    // The new role applies to the next request, without waiting for a new token.
    expect(await (await student.call('GET', '/me')).json()).toMatchObject({ role: 'instructor' });

    const self = (await (await admin.call('GET', '/me')).json()) as { id: string };
    const selfChange = await admin.call('PATCH', `/admin/users/${self.id}`, { role: 'student' });
    expect(selfChange.status).toBe(409);
    expect(await errorCode(selfChange)).toBe('cannot_change_self');

    const forbidden = await student.call('GET', '/admin/users');
    expect(forbidden.status).toBe(403);
    expect(await errorCode(forbidden)).toBe('forbidden');
    const anonymous = await client().call('GET', '/admin/users');
    expect(anonymous.status).toBe(401);
    expect(await errorCode(anonymous)).toBe('unauthenticated');

    const deactivated = await admin.call('PATCH', `/admin/users/${target.id}`, { status: 'deactivated' });
    expect(deactivated.status).toBe(200);
    expect(await errorCode(await student.call('GET', '/me'))).toBe('account_deactivated');
  });

  it('takes an instructor application and lets an admin approve it', async () => {
    const student = await signedUp(unique('applicant'));
    const motivation = 'I have taught Korean cooking for ten years.';
    const applied = await student.call('POST', '/me/instructor-application', { motivation });
    expect(applied.status).toBe(201);
    const application = (await applied.json()) as { id: string; status: string };
    expect(application.status).toBe('pending');
    const twice = await student.call('POST', '/me/instructor-application', { motivation });
    expect(await errorCode(twice)).toBe('application_pending');

    expect((await student.call('GET', '/admin/instructor-applications')).status).toBe(403);
    const admin = client();
    await admin.login('admin@lectio.localhost', 'lectio-admin-demo');
    const list = (await (await admin.call('GET', '/admin/instructor-applications?status=pending')).json()) as {
      items: { id: string; user: { email: string } }[];
    };
    expect(list.items.some((a) => a.id === application.id)).toBe(true);
    const decided = await admin.call('POST', `/admin/instructor-applications/${application.id}/decision`, {
      approve: true,
      note: 'Welcome aboard',
    });
    expect(await decided.json()).toMatchObject({ status: 'approved', decisionNote: 'Welcome aboard' });
    expect(await (await student.call('GET', '/me')).json()).toMatchObject({ role: 'instructor' });
    expect(await errorCode(await student.call('POST', '/me/instructor-application', { motivation }))).toBe(
      'already_instructor',
    );
  });

  it('answers bad tokens with their codes', async () => {
    const c = client();
    c.accessToken = 'not.a.token';
    expect(await errorCode(await c.call('GET', '/me'))).toBe('invalid_token');
    c.accessToken = undefined;
    expect(await errorCode(await c.call('GET', '/me'))).toBe('unauthenticated');
  });
});
