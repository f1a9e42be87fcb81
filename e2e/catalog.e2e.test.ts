import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifactPath, openTrackedPage, useLectioWithBrowser, type TrackedPage } from './harness.js';

const TEST_TIMEOUT_MS = 120_000;
const SETUP_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 20_000;

// Spelled out rather than read from the catalogues, so a missing translation fails the test.
// After signing in the app speaks the user's own language: the demo instructor's is Korean, the
// demo student's English.
const LOGIN = {
  browserLocale: 'en-US',
  email: 'Email',
  password: 'Password',
  logIn: 'Log in',
  /** The account menu button of the header, in either language, once signed in. */
  accountMenu: /^(Account menu|계정 메뉴): /,
} as const;

const STUDIO_KO = {
  title: '제목',
  createDraft: '초안 만들기',
  newSection: '새 섹션 제목',
  addSection: '섹션 추가',
  addLessonTo: (section: string) => `${section}에 레슨 추가`,
  newLesson: '새 레슨 제목',
  addLesson: '레슨 추가',
  price: '가격',
  category: '카테고리',
  categoryPython: '파이썬',
  save: '저장',
  saved: '저장했습니다.',
  coverFile: '이미지 선택',
  uploadCover: '표지 업로드',
  coverUploaded: '표지를 업로드했습니다.',
  publish: '공개',
  published: '강의를 공개했습니다.',
} as const;

const STUDENT_EN = {
  searchBox: 'Search courses',
  resultsFor: (q: string) => `Results for “${q}”`,
  reviewBy: (name: string) => `Review by ${name}`,
  rating: (stars: number) => `${stars} stars`,
  reviewBody: 'Your review',
  postReview: 'Post review',
  reviewPosted: 'Thank you! Your review is posted.',
} as const;

const INSTRUCTOR = { email: 'instructor@lectio.localhost', password: 'lectio-instructor-demo' };
const STUDENT = { email: 'student@lectio.localhost', password: 'lectio-student-demo', name: 'Student Lee' };

/** A solid-colour PNG, built by hand so the test needs no image library. */
function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (data: Buffer) => {
    let c = 0xffffffff;
    for (const byte of data) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function logIn(page: Page, account: { email: string; password: string }): Promise<void> {
  await page.getByLabel(LOGIN.email, { exact: true }).fill(account.email);
  await page.getByLabel(LOGIN.password, { exact: true }).fill(account.password);
  await page.getByRole('main').getByRole('button', { name: LOGIN.logIn }).click();
  await page.getByRole('banner').getByRole('button', { name: LOGIN.accountMenu }).waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** Records CSP violations from the first document on, before any app code runs. */
async function recordCspViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) => {
      seen.push(`${event.violatedDirective} blocked ${event.blockedURI || '(inline)'}`);
    });
  });
}

const cspViolations = (page: Page) =>
  page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []);

describe('catalog in Chromium', () => {
  const setup = useLectioWithBrowser({ setupTimeoutMs: SETUP_TIMEOUT_MS });

  it(
    'an instructor builds and publishes a course; a student finds it by a Korean word and opens it',
    async () => {
      const lectio = setup.lectio();
      // A Korean word no seeded course contains, so the search can only find this course.
      const title = '크롬브라우저 실습 강좌';
      const searchWord = '크롬브라우저';
      const sections = ['1장 준비하기', '2장 마무리'];

      const instructor: TrackedPage = await openTrackedPage(setup.browser(), lectio.url, {
        locale: LOGIN.browserLocale,
        path: '/login?next=%2Fstudio',
      });
      try {
        const { page } = instructor;
        await logIn(page, INSTRUCTOR);
        await page.waitForURL(/\/studio$/, { timeout: STEP_TIMEOUT_MS });

        await page.getByLabel(STUDIO_KO.title, { exact: true }).fill(title);
        await page.getByRole('button', { name: STUDIO_KO.createDraft }).click();
        await page.waitForURL(/\/studio\/courses\/[0-9a-f-]{36}$/, { timeout: STEP_TIMEOUT_MS });

        for (const section of sections) {
          await page.getByLabel(STUDIO_KO.newSection, { exact: true }).fill(section);
          await page.getByRole('button', { name: STUDIO_KO.addSection }).click();
          await page.getByRole('heading', { level: 3, name: section }).waitFor({ timeout: STEP_TIMEOUT_MS });
        }
        for (const [i, section] of sections.entries()) {
          const form = page.getByRole('form', { name: STUDIO_KO.addLessonTo(section) });
          await form.getByLabel(STUDIO_KO.newLesson, { exact: true }).fill(`레슨 ${i + 1}`);
          await form.getByRole('button', { name: STUDIO_KO.addLesson }).click();
          await page.getByText(`레슨 ${i + 1}`, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
        }

        // Free, in a category: the rest of the publish checklist.
        await page.getByLabel(STUDIO_KO.price, { exact: true }).fill('0');
        await page.getByLabel(STUDIO_KO.category, { exact: true }).selectOption({ label: STUDIO_KO.categoryPython });
        await page.getByRole('button', { name: STUDIO_KO.save, exact: true }).click();
        await page.getByText(STUDIO_KO.saved, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });

        await page.getByLabel(STUDIO_KO.coverFile, { exact: true }).setInputFiles({
          name: 'cover.png',
          mimeType: 'image/png',
          buffer: solidPng(1280, 720, [79, 70, 229]),
        });
        await page.getByRole('button', { name: STUDIO_KO.uploadCover }).click();
        await page.getByText(STUDIO_KO.coverUploaded, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });

        await page.getByRole('button', { name: STUDIO_KO.publish, exact: true }).click();
        await page.getByText(STUDIO_KO.published, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
        await page.screenshot({ path: await artifactPath('catalog-studio-published.png'), fullPage: true });
        expect(instructor.foreignRequests).toEqual([]);
        expect(instructor.pageErrors).toEqual([]);
      } finally {
        await instructor.context.close();
      }

      const student = await openTrackedPage(setup.browser(), lectio.url, {
        locale: LOGIN.browserLocale,
        path: '/login',
      });
      try {
        const { page } = student;
        await logIn(page, STUDENT);
        const box = page.getByRole('combobox', { name: STUDENT_EN.searchBox });
        await box.fill(searchWord);
        await box.press('Enter');
        await page.waitForURL(/\/search\?q=/, { timeout: STEP_TIMEOUT_MS });
        await page
          .getByRole('heading', { level: 1, name: STUDENT_EN.resultsFor(searchWord) })
          .waitFor({ timeout: STEP_TIMEOUT_MS });
        const result = page.getByRole('main').getByRole('link', { name: title });
        await result.waitFor({ timeout: STEP_TIMEOUT_MS });
        await page.screenshot({ path: await artifactPath('catalog-search-korean.png'), fullPage: true });
        await result.click();
        await page.waitForURL(/\/courses\/[^/?]+$/, { timeout: STEP_TIMEOUT_MS });
        await page.getByRole('heading', { level: 1, name: title }).waitFor({ timeout: STEP_TIMEOUT_MS });
        for (const section of sections) await expect(page.getByText(section).first().isVisible()).resolves.toBe(true);
        await page.screenshot({ path: await artifactPath('catalog-course-page.png'), fullPage: true });

        // What a link preview sees at the same URL, without JavaScript: the title and the cover JPEG.
        const html = await (await fetch(page.url())).text();
        expect(html).toContain(`<meta property="og:title" content="${title} | Lectio" />`);
        const image = /<meta property="og:image" content="([^"]+)"/.exec(html)?.[1];
        expect(image).toMatch(/\/media\/covers\/[0-9a-f-]{36}\/[^/]+\/1280\.jpg$/);
        const cover = await fetch(image!);
        expect(cover.status).toBe(200);
        expect(cover.headers.get('content-type')).toBe('image/jpeg');
        expect(student.foreignRequests).toEqual([]);
        expect(student.pageErrors).toEqual([]);
      } finally {
        await student.context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'shows a review with markup and a javascript: link as text, running nothing and violating no CSP',
    async () => {
      const lectio = setup.lectio();
      const hostile = [
        'Great course! <img src=x onerror=alert(1)>',
        '[click me](javascript:alert(2)) <a href="javascript:alert(3)">or me</a>',
        '<script>alert(4)</script>',
      ].join('\n');
      const tracked = await openTrackedPage(setup.browser(), lectio.url, {
        locale: LOGIN.browserLocale,
        path: '/login',
        prepare: recordCspViolations,
      });
      const { page } = tracked;
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      try {
        await logIn(page, STUDENT);
        // The demo student is enrolled in this free seeded course and has not reviewed it yet.
        await page.goto(`${lectio.url}/courses/git-and-github-essentials`, { waitUntil: 'networkidle' });
        await page.getByRole('radio', { name: STUDENT_EN.rating(5) }).check({ force: true });
        await page.getByLabel(STUDENT_EN.reviewBody, { exact: true }).fill(hostile);
        await page.getByRole('button', { name: STUDENT_EN.postReview }).click();
        await page.getByText(STUDENT_EN.reviewPosted, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });

        // A fresh load renders the stored review from the API, as every other visitor sees it.
        await page.reload({ waitUntil: 'networkidle' });
        const review = page.getByRole('article', { name: STUDENT_EN.reviewBy(STUDENT.name) }).first();
        await review.waitFor({ timeout: STEP_TIMEOUT_MS });
        const text = (await review.textContent()) ?? '';
        expect(text).toContain('<img src=x onerror=alert(1)>');
        expect(text).toContain('[click me](javascript:alert(2))');
        expect(text).toContain('<a href="javascript:alert(3)">or me</a>');
        expect(text).toContain('<script>alert(4)</script>');
        expect(await review.locator('img, script, a[href^="javascript:" i]').count()).toBe(0);
        expect(await page.locator('a[href^="javascript:" i], img[src="x"], img[onerror]').count()).toBe(0);
        // Give a would-be onerror handler time to fire.
        await page.waitForTimeout(500);
        await page.screenshot({ path: await artifactPath('catalog-inert-review.png'), fullPage: true });

        expect(dialogs).toEqual([]);
        expect(await cspViolations(page)).toEqual([]);
        expect(tracked.consoleErrors).toEqual([]);
        expect(tracked.foreignRequests).toEqual([]);
      } finally {
        await tracked.context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
