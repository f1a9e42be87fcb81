import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACTORS,
  adminOnly,
  everyone,
  fillPath,
  operationsOf,
  signedIn,
  type Actor,
  type Fixtures,
  type MatrixRow,
} from './support/authz.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

const PASSWORD = 'matrix-password-123';
const unique = () => randomBytes(4).toString('hex');

/**
 * Who may call what. Every operation of /openapi.json needs a row here; a route added without one
 * fails the suite. Later issues add their rows (and the enrolled-student column with enrollments).
 */
const ROWS: MatrixRow[] = [
  { operation: 'GET /health/live', expect: everyone(200) },
  { operation: 'GET /health/ready', expect: everyone(200) },
  { operation: 'GET /api/v1/dev/mailbox', expect: everyone(200) },
  {
    operation: 'GET /api/v1/dev/mailbox/{id}',
    expect: everyone(200),
    request: (f) => ({ params: { id: f.mailId } }),
  },

  {
    operation: 'POST /api/v1/auth/register',
    expect: everyone(202),
    request: () => ({
      body: {
        email: `new-${unique()}@example.com`,
        password: PASSWORD,
        displayName: 'New',
        locale: 'en',
        consents: { terms: true, privacy: true, marketing: false },
      },
    }),
  },
  {
    operation: 'POST /api/v1/auth/verify-email',
    expect: everyone(400),
    request: () => ({ body: { token: 'x'.repeat(43) } }),
  },
  {
    operation: 'POST /api/v1/auth/resend-verification',
    expect: everyone(202),
    request: () => ({ body: { email: `nobody-${unique()}@example.com` } }),
  },
  {
    operation: 'POST /api/v1/auth/login',
    expect: everyone(401),
    request: () => ({ body: { email: `nobody-${unique()}@example.com`, password: PASSWORD } }),
  },
  // Cookie-authenticated: without the refresh cookie and CSRF header nobody gets through.
  { operation: 'POST /api/v1/auth/refresh', expect: everyone(403) },
  { operation: 'POST /api/v1/auth/logout', expect: everyone(403) },
  {
    operation: 'POST /api/v1/auth/forgot-password',
    expect: everyone(202),
    request: () => ({ body: { email: `nobody-${unique()}@example.com` } }),
  },
  {
    operation: 'POST /api/v1/auth/reset-password',
    expect: everyone(400),
    request: () => ({ body: { token: 'x'.repeat(43), password: PASSWORD } }),
  },

  { operation: 'GET /api/v1/me', expect: signedIn(200) },
  { operation: 'PATCH /api/v1/me', expect: signedIn(200), request: () => ({ body: { displayName: 'Renamed' } }) },
  {
    operation: 'POST /api/v1/me/password',
    expect: signedIn(403),
    request: () => ({ body: { currentPassword: 'not-the-password-1', newPassword: 'another-password-1' } }),
  },
  {
    operation: 'POST /api/v1/me/email',
    expect: signedIn(403),
    request: () => ({ body: { newEmail: `moved-${unique()}@example.com`, password: 'not-the-password-1' } }),
  },
  { operation: 'GET /api/v1/me/sessions', expect: signedIn(200) },
  {
    // Ownership: only the student who owns the session may end it; to anyone else it does not exist.
    operation: 'DELETE /api/v1/me/sessions/{id}',
    expect: { anonymous: 401, student: 204, instructor: 404, otherInstructor: 404, admin: 404 },
    request: async (f) => ({ params: { id: await f.newStudentSession() } }),
  },
  {
    operation: 'POST /api/v1/me/deactivate',
    expect: signedIn(204),
    request: () => ({ body: { password: PASSWORD } }),
    destructive: true,
  },
  { operation: 'GET /api/v1/me/export', expect: signedIn(200) },
  {
    operation: 'DELETE /api/v1/me',
    expect: signedIn(204),
    request: () => ({ body: { password: PASSWORD } }),
    destructive: true,
  },
  {
    operation: 'POST /api/v1/me/instructor-application',
    expect: { anonymous: 401, student: 201, instructor: 409, otherInstructor: 409, admin: 409 },
    request: () => ({ body: { motivation: 'I have taught databases for ten years at a university.' } }),
    destructive: true,
  },
  { operation: 'GET /api/v1/me/instructor-application', expect: signedIn(404) },

  { operation: 'GET /api/v1/admin/users', expect: adminOnly(200) },
  {
    operation: 'PATCH /api/v1/admin/users/{id}',
    expect: adminOnly(200),
    request: (f) => ({ params: { id: f.userId.student }, body: { status: 'active' } }),
  },
  { operation: 'GET /api/v1/admin/instructor-applications', expect: adminOnly(200) },
  {
    operation: 'POST /api/v1/admin/instructor-applications/{id}/decision',
    expect: adminOnly(200),
    request: (f) => ({ params: { id: f.pendingApplicationId }, body: { approve: false, note: 'Not yet' } }),
  },
];

const ROLE_OF: Record<Exclude<Actor, 'anonymous'>, 'student' | 'instructor' | 'admin'> = {
  student: 'student',
  instructor: 'instructor',
  otherInstructor: 'instructor',
  admin: 'admin',
};

describe('authorization matrix [embedded]', () => {
  let server: TestServer;
  const tokens = new Map<Actor, string>();
  let fixtures: Fixtures;
  // Each actor calls from its own address (behind the trusted proxy), so per-IP limits on
  // log-in and registration apply per actor, as they would to separate people.
  const ipOf = (actor: Actor) => `10.9.${ACTORS.indexOf(actor)}.${Math.floor(Math.random() * 250) + 1}`;

  async function call(
    method: string,
    path: string,
    actor: Actor,
    init: { body?: unknown; token?: string; query?: Record<string, string> } = {},
  ) {
    const url = new URL(path, server.url);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { 'x-forwarded-for': ipOf(actor) };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    return fetch(url, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  }

  async function logIn(actor: Actor, email: string): Promise<string> {
    const res = await call('POST', '/api/v1/auth/login', actor, { body: { email, password: PASSWORD } });
    expect(res.status, `log-in of ${actor}`).toBe(200);
    return ((await res.json()) as { accessToken: string }).accessToken;
  }

  async function createSignedIn(
    actor: Exclude<Actor, 'anonymous'>,
  ): Promise<{ id: string; email: string; token: string }> {
    const email = `${actor.toLowerCase()}-${unique()}@example.com`;
    const user = await server.services.users.createUser({
      email,
      password: PASSWORD,
      displayName: actor,
      role: ROLE_OF[actor],
    });
    return { id: user.id, email, token: await logIn(actor, email) };
  }

  beforeAll(async () => {
    server = await startTestServer({ TRUST_PROXY: 'true' });
    const userId = {} as Fixtures['userId'];
    const emails = {} as Record<Exclude<Actor, 'anonymous'>, string>;
    for (const actor of ACTORS) {
      if (actor === 'anonymous') continue;
      const created = await createSignedIn(actor);
      tokens.set(actor, created.token);
      userId[actor] = created.id;
      emails[actor] = created.email;
    }
    // Sessions the matrix revokes are extra log-ins of the student, leaving its token usable.
    const newStudentSession = async () => {
      await logIn('student', emails.student);
      const sessions = (await (
        await call('GET', '/api/v1/me/sessions', 'student', { token: tokens.get('student') })
      ).json()) as { items: { id: string; current: boolean; createdAt: string }[] };
      const newest = sessions.items.filter((s) => !s.current).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
      if (!newest) throw new Error('the student should have a second session');
      return newest.id;
    };

    const applicant = await createSignedIn('student');
    const application = (await (
      await call('POST', '/api/v1/me/instructor-application', 'student', {
        token: applicant.token,
        body: { motivation: 'I would like to teach a course on compilers and parsing.' },
      })
    ).json()) as { id: string };
    // The demo seed's welcome mails arrive through the queue shortly after start.
    const mailId = await waitUntil(async () => {
      const mails = (await (await fetch(`${server.url}/api/v1/dev/mailbox`)).json()) as { items: { id: string }[] };
      return mails.items[0]?.id;
    }, 'a mail in the dev mailbox');
    fixtures = {
      userId,
      newStudentSession,
      pendingApplicationId: application.id,
      mailId,
    };
  });
  afterAll(() => server?.stop());

  it('has a row for every operation in /openapi.json, and no row for an operation that is gone', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = operationsOf(doc).sort();
    const rows = ROWS.map((r) => r.operation).sort();
    expect(
      operations.filter((op) => !rows.includes(op)),
      'operations without a row',
    ).toEqual([]);
    expect(
      rows.filter((row) => !operations.includes(row)),
      'rows without an operation',
    ).toEqual([]);
  });

  for (const row of ROWS) {
    it(`${row.operation}`, async () => {
      const [method, path] = row.operation.split(' ') as [string, string];
      const results: Partial<Record<Actor, number>> = {};
      for (const actor of ACTORS) {
        const token =
          actor === 'anonymous' ? undefined : row.destructive ? (await createSignedIn(actor)).token : tokens.get(actor);
        const request = (await row.request?.(fixtures, actor)) ?? {};
        const res = await call(method, fillPath(path, request.params), actor, {
          token,
          body: request.body,
          query: request.query,
        });
        results[actor] = res.status;
        if (res.status >= 400) {
          const body = (await res.json()) as { error?: { code?: string } };
          expect(typeof body.error?.code, `${actor}: error shape`).toBe('string');
        }
      }
      expect(results).toEqual(row.expect);
    });
  }
});
