import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REPO_ROOT,
  apiCall as call,
  apiLogin,
  artifactPath,
  startLectio,
  useLectioWithBrowser,
  type LectioInstance,
} from './harness.js';

/**
 * The browser half of the threat model (docs/security.md): every page of the web app, opened in
 * Chromium as the role that may see it, runs under the strict CSP without a single violation; no
 * page carries inline script; the site refuses to be framed; session cookies stay out of reach of
 * scripts; no token lands in Web Storage; and a user's upload is downloaded, never rendered.
 */

/** A first start migrates and seeds; on a busy 2-core machine that can take a minute or more. */
const SETUP_TIMEOUT_MS = 150_000;
/** The seed's demo lecture goes through the real pipeline before the player page can play it. */
const VIDEO_READY_TIMEOUT_MS = 150_000;
const STEP_TIMEOUT_MS = 20_000;

const STUDENT = { email: 'student@lectio.localhost', password: 'lectio-student-demo' };
const INSTRUCTOR = { email: 'instructor@lectio.localhost', password: 'lectio-instructor-demo' };
const ADMIN = { email: 'admin@lectio.localhost', password: 'lectio-admin-demo' };
/** A free seeded course by the demo instructor; its first lesson is a free-preview video. */
const FREE_COURSE_SLUG = '입문자를-위한-파이썬';
/** A paid seeded course the demo student has not bought. */
const PAID_COURSE_SLUG = 'modern-web-development-with-react';
/** Shaped like a real code (LC-XXXX-XXXX-XXXX); no course is completed in the seed, so none is issued. */
const UNKNOWN_CERTIFICATE = 'LC-ABCD-EFGH-JKMN';

type Role = 'anonymous' | 'student' | 'instructor' | 'admin';
const ACCOUNTS: Record<Exclude<Role, 'anonymous'>, { email: string; password: string }> = {
  student: STUDENT,
  instructor: INSTRUCTOR,
  admin: ADMIN,
};

/** Identifiers the route patterns need, read from the seeded data over the API. */
interface Fixtures {
  categorySlug: string;
  courseId: string;
  instructorId: string;
  previewLessonId: string;
  previewVideoId: string;
  textLessonId: string;
  orderId: string;
  checkoutUrl: string;
  mailId: string;
}

/**
 * Where each route of web/src/router.tsx is opened, and as whom. Keyed by the router's own path
 * strings: a page added to the router without an entry here fails the first test.
 */
function pagesToVisit(f: Fixtures): Record<string, { role: Role; path: string }> {
  const course = encodeURIComponent(FREE_COURSE_SLUG);
  return {
    '': { role: 'anonymous', path: '/' },
    signup: { role: 'anonymous', path: '/signup' },
    'verify-email': { role: 'anonymous', path: '/verify-email?token=not-a-real-token' },
    login: { role: 'anonymous', path: '/login' },
    'forgot-password': { role: 'anonymous', path: '/forgot-password' },
    'reset-password': { role: 'anonymous', path: '/reset-password?token=not-a-real-token' },
    terms: { role: 'anonymous', path: '/terms' },
    privacy: { role: 'anonymous', path: '/privacy' },
    search: { role: 'anonymous', path: '/search?q=python' },
    'categories/:slug': { role: 'anonymous', path: `/categories/${f.categorySlug}` },
    'courses/:slug': { role: 'anonymous', path: `/courses/${course}` },
    'instructors/:id': { role: 'anonymous', path: `/instructors/${f.instructorId}` },
    'certificates/:code': { role: 'anonymous', path: `/certificates/${UNKNOWN_CERTIFICATE}` },
    // The same lesson with a playing video is the last test.
    'learn/:slug/lessons/:lessonId': { role: 'anonymous', path: `/learn/${course}/lessons/${f.textLessonId}` },
    studio: { role: 'instructor', path: '/studio' },
    'studio/courses/:id': { role: 'instructor', path: `/studio/courses/${f.courseId}` },
    'studio/videos': { role: 'instructor', path: '/studio/videos' },
    'studio/courses/:id/analytics': { role: 'instructor', path: `/studio/courses/${f.courseId}/analytics` },
    'studio/videos/:id': { role: 'instructor', path: `/studio/videos/${f.previewVideoId}` },
    'studio/revenue': { role: 'instructor', path: '/studio/revenue' },
    'studio/coupons': { role: 'instructor', path: '/studio/coupons' },
    'me/learning': { role: 'student', path: '/me/learning' },
    'me/courses': { role: 'student', path: '/me/courses' },
    'me/wishlist': { role: 'student', path: '/me/wishlist' },
    'courses/:slug/checkout': { role: 'student', path: `/courses/${PAID_COURSE_SLUG}/checkout` },
    'checkout/success': { role: 'student', path: `/checkout/success?order=${f.orderId}` },
    'checkout/cancel': { role: 'student', path: `/checkout/cancel?order=${f.orderId}` },
    'me/orders': { role: 'student', path: '/me/orders' },
    'me/orders/:id': { role: 'student', path: `/me/orders/${f.orderId}` },
    settings: { role: 'student', path: '/settings' },
    'settings/sessions': { role: 'student', path: '/settings/sessions' },
    'admin/users': { role: 'admin', path: '/admin/users' },
    'admin/courses': { role: 'admin', path: '/admin/courses' },
    'admin/reviews': { role: 'admin', path: '/admin/reviews' },
    'admin/orders': { role: 'admin', path: '/admin/orders' },
    'admin/jobs': { role: 'admin', path: '/admin/jobs' },
    'admin/instructor-applications': { role: 'admin', path: '/admin/instructor-applications' },
    'dev/mailbox': { role: 'anonymous', path: '/dev/mailbox' },
    'dev/mailbox/:id': { role: 'anonymous', path: `/dev/mailbox/${f.mailId}` },
    '*': { role: 'anonymous', path: '/no-such-page' },
  };
}

/** The route paths declared in the web router, read from its source ('' for the index route). */
async function routerPaths(): Promise<string[]> {
  const source = await readFile(path.join(REPO_ROOT, 'web', 'src', 'router.tsx'), 'utf8');
  const paths = [...source.matchAll(/\bpath:\s*'([^']*)'/g)].map((match) => match[1] ?? '');
  if (/\bindex:\s*true\b/.test(source)) paths.push('');
  return paths;
}

interface Violation {
  page: string;
  directive: string;
  blocked: string;
  sample: string;
  source: string;
}

/** One browser context per role, recording every CSP violation and console error of its pages. */
interface RoleSession {
  context: BrowserContext;
  page: Page;
  /** Where the page is now, to attribute what is recorded to it. */
  current: { path: string };
  violations: Violation[];
  /** Console messages about the policy: these also cover frames where no script of ours runs. */
  cspConsole: string[];
  pageErrors: string[];
  /** The access token the log-in answered with (none for the anonymous visitor). */
  accessToken?: string;
}

/** Installed before any page script: reports each violation to the test through a binding. */
function recordViolations() {
  const report = (event: SecurityPolicyViolationEvent) => {
    const send = (window as unknown as { __lectioCsp?: (v: object) => void }).__lectioCsp;
    send?.({
      directive: event.effectiveDirective || event.violatedDirective,
      blocked: event.blockedURI,
      sample: event.sample,
      source: `${event.sourceFile}:${event.lineNumber}`,
    });
  };
  // Capture on the document: violations inside shadow roots (the player's controls) are composed.
  document.addEventListener('securitypolicyviolation', report, true);
}

const cspProblem = (text: string) =>
  /Content Security Policy|Refused to (load|execute|apply|frame|connect)/i.test(text);

/** Parses a Content-Security-Policy header into directive → sources. */
function parseCsp(header: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

/** What the served HTML itself carries: scripts without src, inline event handlers, javascript: URLs. */
function inlineScriptIn(html: string): string[] {
  const found: string[] = [];
  for (const [tag] of html.matchAll(/<[a-zA-Z][^>]*>/g)) {
    if (/^<script\b/i.test(tag) && !/\ssrc\s*=/i.test(tag)) found.push(tag);
    if (/\son[a-z]+\s*=/i.test(tag)) found.push(tag);
    if (/\s(href|src|action|formaction)\s*=\s*["']?\s*javascript:/i.test(tag)) found.push(tag);
  }
  return found;
}

/** The headers every HTML document of the site must carry, as failures (empty when all is well). */
function documentHeaderProblems(headers: Record<string, string>): string[] {
  const problems: string[] = [];
  const header = headers['content-security-policy'];
  if (!header) return ['no Content-Security-Policy header'];
  const csp = parseCsp(header);
  const scripts = csp.get('script-src') ?? csp.get('default-src') ?? [];
  if (scripts.length === 0) problems.push('no script-src or default-src');
  for (const weak of ["'unsafe-inline'", "'unsafe-eval'", '*', 'data:', 'http:', 'https:']) {
    if (scripts.includes(weak)) problems.push(`script-src allows ${weak}`);
  }
  const ancestors = csp.get('frame-ancestors');
  if (!ancestors || !ancestors.every((source) => source === "'none'" || source === "'self'")) {
    problems.push(`frame-ancestors is ${JSON.stringify(ancestors)}`);
  }
  // object-src falls back to default-src, as script-src does.
  if ((csp.get('object-src') ?? csp.get('default-src'))?.join(' ') !== "'none'")
    problems.push('object-src is not none');
  // The same answer for browsers that only know X-Frame-Options.
  const frameOptions = (headers['x-frame-options'] ?? '').toUpperCase();
  const expectedFrameOptions = ancestors?.includes("'none'") ? ['DENY'] : ['DENY', 'SAMEORIGIN'];
  if (!expectedFrameOptions.includes(frameOptions)) problems.push(`X-Frame-Options is "${frameOptions}"`);
  if (headers['x-content-type-options'] !== 'nosniff') problems.push('no X-Content-Type-Options: nosniff');
  return problems;
}

/** Elements of the live DOM that would run script outside a script file. */
const inlineScriptInDom = (page: Page) =>
  page.evaluate(() => {
    const found: string[] = [];
    for (const script of Array.from(document.querySelectorAll('script'))) {
      if (!script.src) found.push(script.outerHTML.slice(0, 120));
    }
    for (const element of Array.from(document.querySelectorAll('*'))) {
      for (const attribute of Array.from(element.attributes)) {
        if (/^on/i.test(attribute.name)) found.push(`<${element.localName} ${attribute.name}>`);
      }
    }
    return found;
  });

/** Web Storage entries that hold a credential: the access or refresh token, or anything JWT-shaped. */
const storedSecrets = (page: Page, secrets: string[]) =>
  page.evaluate((secrets) => {
    const found: string[] = [];
    for (const [name, storage] of [
      ['localStorage', window.localStorage],
      ['sessionStorage', window.sessionStorage],
    ] as const) {
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i) ?? '';
        const value = storage.getItem(key) ?? '';
        const jwtShaped = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./.test(value);
        if (jwtShaped || secrets.some((secret) => secret && (value.includes(secret) || key.includes(secret)))) {
          found.push(`${name}[${key}]`);
        }
      }
    }
    return found;
  }, secrets);

describe('browser security in Chromium', () => {
  const setup = useLectioWithBrowser({
    setupTimeoutMs: SETUP_TIMEOUT_MS,
    readyTimeoutMs: SETUP_TIMEOUT_MS - 20_000,
    // One browser opens 40-odd pages (each with its assets and API calls) within a minute from one
    // address; the default 600 requests/min per IP would answer some of them 429 instead.
    env: { RATE_LIMIT_MAX: '10000' },
  });
  const sessions = new Map<Role, RoleSession>();
  let fixtures: Fixtures;
  /**
   * A second server whose public URL is https (as behind a TLS-terminating proxy), without the demo
   * video; started in beforeAll and awaited by its test, so its boot overlaps the page visits.
   */
  let secureServer: Promise<LectioInstance> | undefined;

  async function openSession(role: Role): Promise<RoleSession> {
    const existing = sessions.get(role);
    if (existing) return existing;
    const origin = new URL(setup.lectio().url).origin;
    const context = await setup.browser().newContext({ locale: 'en-US', acceptDownloads: true });
    // This machine has no route to other hosts; the CSP forbids them anyway.
    await context.route(
      (url) => url.origin !== origin && !['data:', 'blob:', 'about:'].includes(url.protocol),
      (route) => route.abort('blockedbyclient'),
    );
    const session: RoleSession = {
      context,
      page: await context.newPage(),
      current: { path: '(none)' },
      violations: [],
      cspConsole: [],
      pageErrors: [],
    };
    await context.exposeBinding('__lectioCsp', (_source, violation: Omit<Violation, 'page'>) => {
      session.violations.push({ page: session.current.path, ...violation });
    });
    await context.addInitScript(recordViolations);
    session.page.on('console', (message) => {
      if (cspProblem(message.text())) session.cspConsole.push(`${session.current.path}: ${message.text()}`);
    });
    session.page.on('pageerror', (error) => session.pageErrors.push(`${session.current.path}: ${error.message}`));
    sessions.set(role, session);
    if (role !== 'anonymous') await logIn(session, ACCOUNTS[role]);
    return session;
  }

  /** Logs in through the log-in form, as a user does, keeping the access token the API answered with. */
  async function logIn(session: RoleSession, account: { email: string; password: string }) {
    const { page } = session;
    expect((await visit(session, '/login')).status(), 'the log-in page answers').toBe(200);
    await page.getByLabel('Email', { exact: true }).fill(account.email);
    await page.getByLabel('Password', { exact: true }).fill(account.password);
    const answered = page.waitForResponse((response) => response.url().endsWith('/api/v1/auth/login'));
    await page.getByRole('main').getByRole('button', { name: 'Log in' }).click();
    const response = await answered;
    expect(response.status()).toBe(200);
    session.accessToken = ((await response.json()) as { accessToken: string }).accessToken;
    await page.waitForURL((url) => url.pathname !== '/login', { timeout: STEP_TIMEOUT_MS });
    await page.waitForLoadState('networkidle');
  }

  async function visit(session: RoleSession, pagePath: string): Promise<Response> {
    session.current.path = pagePath;
    const response = await session.page.goto(`${setup.lectio().url}${pagePath}`, { waitUntil: 'networkidle' });
    if (!response) throw new Error(`no response for ${pagePath}`);
    return response;
  }

  beforeAll(async () => {
    const base = setup.lectio().url;
    const categories = await call<{ items: { slug: string }[] }>(base, null, 'GET', '/categories');
    const course = await call<{
      id: string;
      instructor: { id: string };
      sections: { lessons: { id: string; type: string; isFreePreview: boolean }[] }[];
    }>(base, null, 'GET', `/courses/${encodeURIComponent(FREE_COURSE_SLUG)}`);
    const paid = await call<{ id: string }>(base, null, 'GET', `/courses/${PAID_COURSE_SLUG}`);
    expect([categories.status, course.status, paid.status]).toEqual([200, 200, 200]);
    const lessons = course.body.sections.flatMap((section) => section.lessons);
    const preview = lessons.find((lesson) => lesson.type === 'video' && lesson.isFreePreview);
    const text = lessons.find((lesson) => lesson.type === 'text' && lesson.isFreePreview);
    if (!preview || !text) throw new Error('the free demo course lost its free-preview lessons');
    const lesson = await call<{ videoId: string }>(base, null, 'GET', `/lessons/${preview.id}`);

    // An order waiting for payment: its receipt, result pages and the test gateway's page.
    const student = await apiLogin(base, STUDENT);
    const order = await call<{ order: { id: string }; checkoutUrl: string }>(base, student, 'POST', '/orders', {
      courseId: paid.body.id,
    });
    expect(order.status).toBe(201);
    const mails = await call<{ items: { id: string }[] }>(base, null, 'GET', '/dev/mailbox?limit=1');
    const mailId = mails.body.items[0]?.id;
    if (!mailId) throw new Error('the seed mailed nobody');

    secureServer = startLectio({
      env: { PUBLIC_URL: 'https://lectio.example', SEED_DEMO_VIDEO: 'false' },
      // It boots while the pages are visited; its test waits for it, so a slow start costs nothing.
      readyTimeoutMs: 2 * SETUP_TIMEOUT_MS,
    });
    // Awaited in its test; until then a failed start must not count as an unhandled rejection.
    secureServer.catch(() => undefined);

    fixtures = {
      categorySlug: categories.body.items[0]?.slug ?? '',
      courseId: course.body.id,
      instructorId: course.body.instructor.id,
      previewLessonId: preview.id,
      previewVideoId: lesson.body.videoId,
      textLessonId: text.id,
      orderId: order.body.order.id,
      checkoutUrl: order.body.checkoutUrl,
      mailId,
    };
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    for (const session of sessions.values()) await session.context.close();
    await (await secureServer?.catch(() => undefined))?.stop();
  }, SETUP_TIMEOUT_MS);

  it('every page of the web app, as the role that may open it, runs under the strict CSP with zero violations and no inline script', async () => {
    const pages = pagesToVisit(fixtures);
    // A route added to the router must be added here too, or it would go unchecked.
    expect(Object.keys(pages).sort()).toEqual((await routerPaths()).sort());

    const problems: string[] = [];
    for (const [pattern, { role, path: pagePath }] of Object.entries(pages)) {
      const session = await openSession(role);
      const response = await visit(session, pagePath);
      const where = `${pattern} (${role}, ${pagePath})`;
      if (response.status() !== 200) problems.push(`${where}: HTTP ${response.status()}`);
      for (const problem of documentHeaderProblems(response.headers())) problems.push(`${where}: ${problem}`);
      for (const tag of inlineScriptIn(await response.text())) problems.push(`${where}: inline script in HTML ${tag}`);
      for (const found of await inlineScriptInDom(session.page))
        problems.push(`${where}: inline script in DOM ${found}`);
      // A guard that bounced the visitor (to /login, say) would leave the page itself unchecked.
      const landed = new URL(session.page.url());
      const expected = new URL(pagePath, 'http://x');
      if (decodeURIComponent(landed.pathname) !== decodeURIComponent(expected.pathname)) {
        problems.push(`${where}: ended on ${landed.pathname}`);
      }
      // Something rendered: the layout's main landmark has content.
      const main = session.page.getByRole('main');
      const text = (await main.count()) === 1 ? await main.innerText() : '';
      if (text.trim().length === 0) problems.push(`${where}: no main landmark with content`);
    }
    // The two pages the server renders itself: the test gateway's checkout and the API reference.
    const student = await openSession('student');
    const gatewayPath = new URL(fixtures.checkoutUrl).pathname;
    for (const serverPage of [gatewayPath, '/docs/']) {
      const response = await visit(student, serverPage);
      if (response.status() !== 200) problems.push(`${serverPage}: HTTP ${response.status()}`);
      for (const problem of documentHeaderProblems(response.headers())) problems.push(`${serverPage}: ${problem}`);
      for (const tag of inlineScriptIn(await response.text())) problems.push(`${serverPage}: inline script ${tag}`);
    }
    await student.page.screenshot({ path: await artifactPath('security-api-docs.png') });

    const all = [...sessions.values()];
    expect(all.flatMap((session) => session.violations)).toEqual([]);
    expect(all.flatMap((session) => session.cspConsole)).toEqual([]);
    expect(all.flatMap((session) => session.pageErrors)).toEqual([]);
    expect(problems).toEqual([]);
  }, 240_000);

  it('the violation recorder works: an injected inline script is blocked and reported', async () => {
    // Without this, a recorder that never fires would make the test above pass vacuously.
    const session = await openSession('anonymous');
    await visit(session, '/terms');
    const before = session.violations.length;
    const ran = await session.page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.body.append(script);
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ran).toBe(false);
    await expect.poll(() => session.violations.length).toBe(before + 1);
    expect(session.violations.at(-1)).toMatchObject({ page: '/terms', directive: 'script-src-elem' });
    session.violations.splice(before);
    session.cspConsole.splice(0);
  });

  it('session cookies are HttpOnly and SameSite, and no token is kept in Web Storage after log-in', async () => {
    const origin = new URL(setup.lectio().url).origin;
    for (const role of ['student', 'instructor', 'admin'] as const) {
      const session = await openSession(role);
      // All of the context's cookies: asking for the origin's URL would leave out path-scoped ones.
      const cookies = (await session.context.cookies()).filter((cookie) => origin.includes(cookie.domain));
      const refresh = cookies.find((cookie) => cookie.name === 'lectio_refresh');
      expect(refresh, `${role} has a refresh cookie`).toBeDefined();
      expect(refresh).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });
      // Plain http on 127.0.0.1 (this run): Secure would make the browser drop it. The https case is below.
      expect(refresh?.secure).toBe(false);
      const csrf = cookies.find((cookie) => cookie.name === 'lectio_csrf');
      // The CSRF cookie is meant to be read by the app (double submit); it is no credential by itself.
      expect(csrf).toMatchObject({ httpOnly: false, sameSite: 'Strict' });
      // Every other cookie the app set is out of scripts' reach too.
      for (const cookie of cookies.filter((c) => c.name !== 'lectio_csrf')) {
        expect(cookie.httpOnly, `${cookie.name} is HttpOnly`).toBe(true);
        expect(['Strict', 'Lax'], `${cookie.name} has SameSite`).toContain(cookie.sameSite);
      }
      await visit(session, '/me/learning');
      expect(await session.page.evaluate(() => document.cookie)).not.toContain('lectio_refresh');
      const secrets = [session.accessToken ?? '', refresh?.value ?? ''];
      expect(secrets[0]).toMatch(/^eyJ/);
      expect(await storedSecrets(session.page, secrets)).toEqual([]);
    }
  });

  it(
    'behind https the session cookies are Secure and the site asks for HSTS',
    async () => {
      if (!secureServer) throw new Error('beforeAll did not start the https server');
      const secure = await secureServer;
      const response = await fetch(`${secure.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(STUDENT),
      });
      expect(response.status).toBe(200);
      // API answers carry the shorter API policy, HSTS included.
      expect(response.headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
      const cookies = response.headers.getSetCookie();
      const refresh = cookies.find((cookie) => cookie.startsWith('lectio_refresh='));
      expect(refresh).toMatch(/;\s*Secure(;|$)/i);
      expect(refresh).toMatch(/;\s*HttpOnly(;|$)/i);
      expect(refresh).toMatch(/;\s*SameSite=Strict(;|$)/i);
      expect(cookies.find((cookie) => cookie.startsWith('lectio_csrf='))).toMatch(/;\s*Secure(;|$)/i);
      const page = await fetch(`${secure.url}/`, { headers: { accept: 'text/html' } });
      await page.body?.cancel();
      expect(page.headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
      expect(parseCsp(page.headers.get('content-security-policy') ?? '').has('upgrade-insecure-requests')).toBe(true);
    },
    SETUP_TIMEOUT_MS,
  );

  it('a page of another origin that frames Lectio gets nothing rendered in the frame', async () => {
    const target = `${setup.lectio().url}/courses/${encodeURIComponent(FREE_COURSE_SLUG)}`;
    const framing: Server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><title>evil</title><iframe id="victim" src="${target}"></iframe>`);
    });
    await new Promise<void>((resolve) => framing.listen(0, '127.0.0.1', resolve));
    const context = await setup.browser().newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      const refusals: string[] = [];
      page.on('console', (message) => {
        if (/frame-ancestors|X-Frame-Options/i.test(message.text())) refusals.push(message.text());
      });
      const framedResponses: number[] = [];
      page.on('response', (response) => {
        if (response.url() === target) framedResponses.push(response.status());
      });
      const { port } = framing.address() as AddressInfo;
      // localhost and 127.0.0.1 on another port: a different origin from Lectio's.
      await page.goto(`http://localhost:${port}/`, { waitUntil: 'networkidle' });
      // The browser did fetch Lectio's page, then refused to show it inside the frame.
      expect(framedResponses).toEqual([200]);
      const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
      expect(frame).toBeDefined();
      const rendered = await frame
        ?.evaluate(() => document.querySelector('#root')?.childElementCount ?? 0)
        .catch(() => 0);
      expect(rendered).toBe(0);
      expect(frame?.url()).not.toBe(target);
      expect(refusals.join('\n')).toMatch(/frame-ancestors 'none'/);
      await page.screenshot({ path: await artifactPath('security-framed.png') });
    } finally {
      await context.close();
      await new Promise((resolve) => framing.close(resolve));
    }
  });

  it('an uploaded HTML or SVG file is downloaded with nosniff and a sandbox, never rendered as a page', async () => {
    const base = setup.lectio().url;
    const instructor = await apiLogin(base, INSTRUCTOR);
    const beacon = '/xss-beacon';
    const payloads = [
      {
        fileName: 'lecture-notes.pdf',
        contentType: 'text/html',
        body: `<!doctype html><h1>notes</h1><script>alert(1);fetch('${beacon}')</script>`,
      },
      {
        fileName: 'diagram.svg',
        contentType: 'image/svg+xml',
        body: `<svg xmlns="http://www.w3.org/2000/svg" onload="fetch('${beacon}')"><script>alert(1)</script></svg>`,
      },
    ];
    const session = await openSession('anonymous');
    for (const payload of payloads) {
      const uploaded = await fetch(
        `${base}/api/v1/studio/lessons/${fixtures.textLessonId}/attachments?fileName=${encodeURIComponent(payload.fileName)}`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${instructor}`, 'content-type': payload.contentType },
          body: payload.body,
        },
      );
      expect(uploaded.status).toBe(201);
      const { id } = (await uploaded.json()) as { id: string };
      const link = await call<{ url: string }>(
        base,
        instructor,
        'GET',
        `/lessons/${fixtures.textLessonId}/attachments/${id}/download`,
      );
      expect(link.status).toBe(200);

      const served = await fetch(link.body.url);
      expect(await served.text()).toBe(payload.body);
      expect(served.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      expect(parseCsp(served.headers.get('content-security-policy') ?? '').has('sandbox')).toBe(true);

      // In the browser: a download starts, no document is shown, and the script never runs.
      const beacons: string[] = [];
      const dialogs: string[] = [];
      const onRequest = (request: { url(): string }) => {
        if (request.url().includes(beacon)) beacons.push(request.url());
      };
      const onDialog = (dialog: { message(): string; dismiss(): Promise<void> }) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      };
      session.page.on('request', onRequest);
      session.page.on('dialog', onDialog);
      await visit(session, '/terms');
      const download = session.page.waitForEvent('download', { timeout: STEP_TIMEOUT_MS });
      await session.page.goto(link.body.url).catch((error: Error) => {
        if (!/Download is starting/.test(error.message)) throw error;
      });
      expect((await download).suggestedFilename()).toBe(payload.fileName);
      await session.page.waitForTimeout(500);
      session.page.off('request', onRequest);
      session.page.off('dialog', onDialog);
      expect(new URL(session.page.url()).pathname).toBe('/terms');
      expect(beacons).toEqual([]);
      expect(dialogs).toEqual([]);
    }
  });

  it(
    'the lesson player plays a real video under the CSP with zero violations',
    async () => {
      const base = setup.lectio().url;
      await expect
        .poll(
          async () =>
            (
              await call<{ video: { status: string } | null }>(
                base,
                null,
                'GET',
                `/lessons/${fixtures.previewLessonId}`,
              )
            ).body.video?.status,
          { timeout: VIDEO_READY_TIMEOUT_MS, interval: 1_000 },
        )
        .toBe('ready');
      const session = await openSession('anonymous');
      const before = { violations: session.violations.length, console: session.cspConsole.length };
      const lessonPath = `/learn/${encodeURIComponent(FREE_COURSE_SLUG)}/lessons/${fixtures.previewLessonId}`;
      await visit(session, lessonPath);
      const player = session.page.getByRole('region', { name: /^Video: / });
      await player.waitFor({ timeout: STEP_TIMEOUT_MS }).catch(async (error: unknown) => {
        await session.page.screenshot({ path: await artifactPath('security-player-missing.png'), fullPage: true });
        throw error;
      });
      await player.focus();
      await session.page.keyboard.press('Space');
      await expect
        .poll(
          () =>
            session.page.evaluate(
              () => (document.querySelector('hls-video') as HTMLVideoElement | null)?.currentTime ?? 0,
            ),
          { timeout: STEP_TIMEOUT_MS, interval: 250 },
        )
        .toBeGreaterThan(2);
      await session.page.screenshot({ path: await artifactPath('security-player.png') });
      expect(session.violations.slice(before.violations)).toEqual([]);
      expect(session.cspConsole.slice(before.console)).toEqual([]);
      expect(session.pageErrors).toEqual([]);
    },
    VIDEO_READY_TIMEOUT_MS + 30_000,
  );
});
