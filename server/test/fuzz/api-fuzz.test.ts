/**
 * The API fuzzer: every operation of /openapi.json, for every role, called with generated invalid
 * and boundary inputs (wrong types, missing and extra fields, huge strings, deep JSON, unicode edge
 * cases, hostile numbers, SQL and path-traversal payloads) in the path, query, headers and body.
 * No answer may be a 5xx, carry a stack trace or internal detail, or be a 4xx outside the error shape.
 *
 * Reproduce a run with the seed it prints: FUZZ_SEED=<seed> (and FUZZ_ONLY='POST /api/v1/orders'
 * or any regular expression over `METHOD /path`, to run some operations). The regression cases at the bottom are the inputs that once broke it.
 */
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil, type TestServer } from '../support/servers.js';
import { insertCourse, signedInUser } from '../support/course-fixtures.js';
import {
  operationsIn,
  RequestArbitraries,
  type FuzzRequest,
  type OpenApiDoc,
  type Operation,
} from './openapi-arbitraries.js';
import { problemsOf, send } from './client.js';

const ROLES = ['anonymous', 'student', 'instructor', 'admin'] as const;
type Role = (typeof ROLES)[number];

/** Calls per (operation, role); the suite fails below MIN_CALLS for any pair. */
const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 20;
const MIN_CALLS = 20;
/** Pairs fuzzed at once: enough to keep the server busy, few enough for a 2-core machine. */
const CONCURRENCY = 6;

// Test entry point: the seed is the knob a person re-running a failure needs (FUZZ_RUNS digs deeper).
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const ONLY = process.env.FUZZ_ONLY;

/**
 * Operations not fuzzed, with the reason. Nothing is excluded today: every call that could end
 * the fuzzer's own sessions needs a password or cookie it never has, and mail goes to the dev
 * mailbox. An entry here still has to name an operation that exists.
 */
const EXCLUDED: Record<string, string> = {};

/** One seed per (operation, role), from the run's seed, so pairs do not share a random stream. */
function pairSeed(operation: string, role: Role): number {
  return createHash('sha256').update(`${SEED}|${operation}|${role}`).digest().readUInt32BE(0) & 0x7fffffff;
}

function describeRequest(r: FuzzRequest): string {
  const body = r.body
    ? `${r.body.contentType ?? '(no type)'} ${typeof r.body.data === 'string' ? JSON.stringify(r.body.data.slice(0, 300)) : `${r.body.data.length} bytes`}`
    : 'no body';
  return `${r.method} ${r.url.slice(0, 300)} headers=${JSON.stringify(r.headers).slice(0, 300)} auth=${r.auth} body=${body}`;
}

describe('API fuzzer [embedded]', () => {
  let server: TestServer;
  let doc: OpenApiDoc;
  const tokens = new Map<Role, string | undefined>([['anonymous', undefined]]);
  let ids: {
    courses: string[];
    slugs: string[];
    sections: string[];
    lessons: string[];
    attachments: string[];
    videos: string[];
    captions: string[];
    reviews: string[];
    orders: string[];
    users: string[];
    instructors: string[];
    applications: string[];
    mails: string[];
    coupons: string[];
  };
  // No keep-alive: a reused socket the server closed after an earlier answer would fail the next
  // call for the client's reasons, not the server's.
  const agent = new http.Agent({ keepAlive: false, maxSockets: CONCURRENCY * 2 });

  beforeAll(async () => {
    const setupStarted = Date.now();
    server = await startTestServer({
      TRUST_PROXY: 'true',
      SEED_DEMO_DATA: 'false',
      // The fuzzer calls far more often than one person; the limiter's own tests cover it.
      RATE_LIMIT_MAX: '1000000',
      VIDEO_MAX_OPEN_UPLOADS: '1000',
    });
    doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDoc;

    const student = await signedInUser(server, 'student');
    const instructor = await signedInUser(server, 'instructor');
    const admin = await signedInUser(server, 'admin');
    tokens.set('student', student.client.accessToken);
    tokens.set('instructor', instructor.client.accessToken);
    tokens.set('admin', admin.client.accessToken);
    // A bystander whose account the admin rows may act on, so no fuzzed call suspends a fuzzing role.
    const bystander = await signedInUser(server, 'student');
    const application = await bystander.client.call('POST', '/me/instructor-application', {
      motivation: 'I have taught databases for ten years at a university.',
    });
    expect(application.status).toBe(201);

    const db = server.database.primary;
    const published = await insertCourse(db, { instructorId: instructor.id });
    const paid = await insertCourse(db, { instructorId: instructor.id, price: 49_000 });
    const draft = await insertCourse(db, { instructorId: instructor.id, status: 'draft' });
    const courses = [published, paid, draft];
    // The student is enrolled, so its calls get past the access check into the lesson, progress and review code.
    expect((await student.client.call('POST', `/courses/${published.id}/enroll`)).status).toBe(201);
    const review = await student.client.call('POST', `/courses/${published.id}/reviews`, {
      rating: 4,
      body: 'Useful.',
    });
    expect(review.status).toBe(201);
    const order = await student.client.call('POST', '/orders', { courseId: paid.id });
    expect(order.status).toBe(201);
    const owner = { userId: instructor.id, role: 'instructor' as const };
    const { video } = await server.services.videoUploads.start(owner, {
      filename: 'lecture.mp4',
      size: 4096,
      fingerprint: 'fuzz-video',
    });
    const caption = await server.services.captions.upload(owner, video.id, {
      language: 'en',
      label: 'English',
      content: 'WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n',
    });
    const coupon = await instructor.client.call('POST', '/studio/coupons', {
      code: 'FUZZ-COUPON',
      kind: 'percent',
      percentOff: 10,
      courseId: paid.id,
    });
    expect(coupon.status).toBe(201);
    // A mail in the dev mailbox, for its by-id route (the demo seed that would send some is off).
    await bystander.client.call('POST', '/auth/forgot-password', { email: bystander.email });
    const mailId = await waitUntil(async () => {
      const mails = (await (await fetch(`${server.url}/api/v1/dev/mailbox`)).json()) as { items: { id: string }[] };
      return mails.items[0]?.id;
    }, 'a mail in the dev mailbox');
    ids = {
      courses: courses.map((c) => c.id),
      slugs: courses.map((c) => c.slug),
      sections: courses.map((c) => c.sectionId),
      lessons: courses.flatMap((c) => [c.previewLessonId, c.paidLessonId]),
      attachments: courses.map((c) => c.attachmentId),
      videos: [video.id],
      captions: [caption.id],
      reviews: [((await review.json()) as { id: string }).id],
      orders: [((await order.json()) as { order: { id: string } }).order.id],
      users: [bystander.id],
      instructors: [instructor.id],
      applications: [((await application.json()) as { id: string }).id],
      mails: [mailId],
      coupons: [((await coupon.json()) as { coupon: { id: string } }).coupon.id],
    };
    const missing = Object.entries(ids).filter(([, v]) => v.some((id) => typeof id !== 'string'));
    expect(missing, 'fixture ids').toEqual([]);
    console.log(`API fuzzer: server and fixtures ready in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`);
  });
  afterAll(async () => {
    agent.destroy();
    await server?.stop();
  });

  /** Real ids for a path parameter, by the resource the path names just before it. */
  function idsFor(path: string, param: string): string[] {
    const before = path.split('/').at(path.split('/').findIndex((s) => s === `{${param}}`) - 1) ?? '';
    if (param === 'courseId' || before === 'courses') return ids.courses;
    if (param === 'slug') return ids.slugs;
    if (param === 'lessonId' || before === 'lessons') return ids.lessons;
    if (param === 'attachmentId' || before === 'attachments') return ids.attachments;
    if (before === 'sections') return ids.sections;
    if (param === 'videoId' || before === 'videos') return ids.videos;
    if (param === 'captionId') return ids.captions;
    if (before === 'reviews') return ids.reviews;
    if (before === 'orders') return ids.orders;
    if (before === 'users') return ids.users;
    if (before === 'instructors') return ids.instructors;
    if (before === 'instructor-applications') return ids.applications;
    if (before === 'mailbox') return ids.mails;
    if (before === 'coupons') return ids.coupons;
    if (param === 'queue') return ['video', 'default'];
    if (path.includes('/jobs/')) return ['1', '2', '987654321'];
    return [];
  }

  it(
    'answers every operation, for every role, without a 5xx, a leak, or a malformed error',
    { timeout: 240_000 },
    async () => {
      const operations = operationsIn(doc).filter((op) => !ONLY || new RegExp(ONLY).test(`${op.method} ${op.path}`));
      const names = operations.map((op) => `${op.method} ${op.path}`);
      expect(
        Object.keys(EXCLUDED).filter((name) => !names.includes(name)),
        'exclusions naming no operation',
      ).toEqual([]);
      const fuzzable = operations.filter((op) => !EXCLUDED[`${op.method} ${op.path}`]);
      const allIds = Object.entries(ids)
        .filter(([kind]) => kind !== 'slugs')
        .flatMap(([, v]) => v);
      const arbitraries = new RequestArbitraries(doc, idsFor, allIds);

      const calls = new Map<string, number>();
      const statuses = new Map<number, number>();
      const failures: string[] = [];
      const started = Date.now();
      console.log(`API fuzzer: seed ${SEED} (re-run with FUZZ_SEED=${SEED})`);

      const pairs = fuzzable.flatMap((op) => ROLES.map((role) => ({ op, role })));
      async function fuzzPair({ op, role }: { op: Operation; role: Role }): Promise<void> {
        const name = `${op.method} ${op.path}`;
        const key = `${name} as ${role}`;
        const result = await fc.check(
          fc.asyncProperty(arbitraries.request(op), async (request) => {
            calls.set(key, (calls.get(key) ?? 0) + 1);
            const res = await send(server.url, request, tokens.get(role), agent);
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            const problems = problemsOf(res);
            if (problems.length) throw new Error(problems.join('; '));
          }),
          { seed: pairSeed(name, role), numRuns: RUNS, endOnFailure: false },
        );
        if (result.failed) {
          const cause =
            result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
          failures.push(
            `${key}: ${cause}\n    request: ${result.counterexample ? describeRequest(result.counterexample[0]) : '?'}\n    fast-check seed ${result.seed} path ${result.counterexamplePath}`,
          );
        }
      }
      const queue = [...pairs];
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let pair = queue.shift(); pair; pair = queue.shift()) await fuzzPair(pair);
        }),
      );

      const total = [...calls.values()].reduce((a, b) => a + b, 0);
      const covered = new Set([...calls.keys()].map((k) => k.split(' as ')[0]));
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `API fuzzer: ${total} calls, ${covered.size} of ${operations.length} operations covered ` +
          `(${Object.keys(EXCLUDED).length} excluded), ${ROLES.length} roles, ${seconds} s; ` +
          `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
      );
      for (const [name, reason] of Object.entries(EXCLUDED)) console.log(`API fuzzer: excluded ${name}: ${reason}`);

      expect(failures, `seed ${SEED}: ${failures.length} failing (operation, role) pairs`).toEqual([]);
      const thin = fuzzable.flatMap((op) =>
        ROLES.map((role) => `${op.method} ${op.path} as ${role}`).filter((key) => (calls.get(key) ?? 0) < MIN_CALLS),
      );
      expect(thin, `(operation, role) pairs with fewer than ${MIN_CALLS} calls`).toEqual([]);
      expect(covered.size).toBe(fuzzable.length);

      // The roles were who they claimed to the end: a fuzzed call that ended a session would have
      // turned the rest of that role's calls into anonymous ones without anyone noticing.
      for (const role of ROLES.filter((r) => r !== 'anonymous')) {
        const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${tokens.get(role)}` } });
        expect(me.status, `${role}'s token still works after the run`).toBe(200);
      }
    },
  );

  /** Inputs the fuzzer found breaking the API, fixed, each with the answer it must give now. */
  const REGRESSIONS: { bug: string; role: Role; request: FuzzRequest; status: number; code: string }[] = [
    {
      bug: 'NUL in a path parameter reached PostgreSQL, which refuses it in text: 500',
      role: 'admin',
      request: { method: 'GET', url: '/api/v1/courses/a%00b', headers: {}, auth: 'token' },
      status: 400,
      code: 'invalid_text',
    },
    {
      bug: 'NUL in a JSON string (same cause, in a body)',
      role: 'student',
      request: {
        method: 'PATCH',
        url: '/api/v1/me',
        headers: {},
        auth: 'token',
        body: { contentType: 'application/json', data: JSON.stringify({ displayName: 'a\u0000b' }) },
      },
      status: 400,
      code: 'invalid_text',
    },
    {
      bug: 'NUL in a query string (same cause; the first fix missed query and params objects)',
      role: 'anonymous',
      request: { method: 'GET', url: '/api/v1/search?q=a%00', headers: {}, auth: 'none' },
      status: 400,
      code: 'invalid_text',
    },
    {
      bug: "a path parameter past the router's 200 characters: 414 in Fastify's own shape",
      role: 'admin',
      request: { method: 'POST', url: `/api/v1/courses/${'x'.repeat(201)}/enroll`, headers: {}, auth: 'token' },
      status: 414,
      code: 'uri_too_long',
    },
    {
      bug: "headers past Node's 16 KB: 431 in Fastify's own shape",
      role: 'anonymous',
      request: { method: 'GET', url: '/api/v1/categories', headers: { 'x-padding': 'a'.repeat(20_000) }, auth: 'none' },
      status: 431,
      code: 'headers_too_large',
    },
    {
      bug: 'a search price past int4 reached PostgreSQL: 500',
      role: 'anonymous',
      request: { method: 'GET', url: '/api/v1/search?currency=KRW&priceMin=2147483648', headers: {}, auth: 'none' },
      status: 400,
      code: 'validation_failed',
    },
  ];
  it("regression: a request Node's parser rejects (bad Content-Length) answered in Fastify's own shape", async () => {
    const { hostname, port } = new URL(server.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), hostname, () =>
        socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}'),
      );
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString('utf8')));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    const res = {
      status: Number(head.split(' ')[1]),
      contentType: /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '',
      body,
    };
    expect(problemsOf(res), raw).toEqual([]);
    expect([res.status, (JSON.parse(body) as { error: { code: string } }).error.code]).toEqual([400, 'bad_request']);
  });

  for (const regression of REGRESSIONS) {
    it(`regression: ${regression.bug}`, async () => {
      const res = await send(server.url, regression.request, tokens.get(regression.role), agent);
      expect(problemsOf(res), describeRequest(regression.request)).toEqual([]);
      expect([res.status, (JSON.parse(res.body) as { error: { code: string } }).error.code]).toEqual([
        regression.status,
        regression.code,
      ]);
    });
  }
});
