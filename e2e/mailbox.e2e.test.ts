import type { Page, Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifactPath, openTrackedPage, useLectioWithBrowser } from './harness.js';

const TEST_TIMEOUT_MS = 60_000;
const SETUP_TIMEOUT_MS = 90_000;
// Welcome mails go through the in-process job queue after the first start.
const MAIL_TIMEOUT_MS = 30_000;
const MAIL_POLL_INTERVAL_MS = 1_000;

const WELCOME_SUBJECT = 'Lectio에 오신 것을 환영합니다 / Welcome to Lectio';
const WELCOME_RECIPIENTS = ['admin@lectio.localhost', 'instructor@lectio.localhost', 'student@lectio.localhost'];

// Expected strings are spelled out here rather than read from the web app's
// catalogues, so a wrong or missing translation fails the test.
const LOCALES = {
  ko: {
    browserLocale: 'ko-KR',
    footerLink: '개발용 메일함',
    title: '개발용 메일함',
    back: '메일 목록',
    from: '보낸 사람',
    to: '받는 사람',
    date: '날짜',
    yearWord: '년',
    unavailable: '개발용 메일함은 Lectio가 개발 모드로 실행될 때만 있습니다.',
    next: '다음',
    previous: '이전',
    showHtml: 'HTML',
    screenshots: { list: 'mailbox-list.png', message: 'mailbox-message.png' },
  },
  en: {
    browserLocale: 'en-US',
    footerLink: 'Dev mailbox',
    title: 'Dev mailbox',
    back: 'All messages',
    from: 'From',
    to: 'To',
    date: 'Date',
    yearWord: '',
    unavailable: 'The dev mailbox exists only when Lectio runs in development mode.',
    next: 'Next',
    previous: 'Previous',
    showHtml: 'HTML',
    screenshots: { list: 'mailbox-list-en.png', message: 'mailbox-message-en.png' },
  },
} as const;

type Language = keyof typeof LOCALES;

interface FakeMail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  createdAt: string;
}

function fakeMail(index: number, overrides: Partial<FakeMail> = {}): FakeMail {
  return {
    id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    from: 'Lectio <no-reply@lectio.localhost>',
    to: [`learner${index}@lectio.localhost`],
    subject: `Test message ${index}`,
    text: `Body of message ${index}`,
    html: null,
    createdAt: new Date(Date.now() - index * 60_000).toISOString(),
    ...overrides,
  };
}

function fulfilJson(route: Route, status: number, body: unknown): Promise<void> {
  return route.fulfill({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });
}

describe('dev mailbox', () => {
  const setup = useLectioWithBrowser({ setupTimeoutMs: SETUP_TIMEOUT_MS });

  function openPage(language: Language, path: string, prepare?: (page: Page) => Promise<unknown>) {
    return openTrackedPage(setup.browser(), setup.lectio().url, {
      locale: LOCALES[language].browserLocale,
      path,
      prepare,
    });
  }

  /** Reloads the list until every welcome mail is in it: they are sent by a job shortly after start. */
  async function waitForWelcomeMails(page: Page): Promise<void> {
    const deadline = Date.now() + MAIL_TIMEOUT_MS;
    for (;;) {
      const recipients = await page.getByTestId('mail-recipients').allTextContents();
      if (WELCOME_RECIPIENTS.every((address) => recipients.some((text) => text.includes(address)))) return;
      if (Date.now() > deadline) {
        throw new Error(
          `the welcome mails were not listed within ${MAIL_TIMEOUT_MS / 1000}s; listed: ${JSON.stringify(recipients)}`,
        );
      }
      await page.waitForTimeout(MAIL_POLL_INTERVAL_MS);
      await page.reload({ waitUntil: 'networkidle' });
    }
  }

  for (const language of Object.keys(LOCALES) as Language[]) {
    const expected = LOCALES[language];

    it(
      `lists the welcome mails and shows one, in ${language} for a ${expected.browserLocale} browser`,
      async () => {
        const { context, page, foreignRequests, consoleErrors } = await openPage(language, '/');
        try {
          // The footer link appears once the server has said it has a mailbox.
          const footerLink = page.getByRole('contentinfo').getByRole('link', { name: expected.footerLink });
          await footerLink.waitFor({ timeout: 10_000 });
          await footerLink.click();
          await page.waitForURL(/\/dev\/mailbox$/);

          // The URL changes before React commits the new page (navigations render in a transition).
          await page.getByRole('heading', { level: 1, name: expected.title, exact: true }).waitFor();
          await waitForWelcomeMails(page);

          const list = page.getByRole('list').filter({ has: page.getByTestId('mail-list-item') });
          const welcomeItems = list
            .getByRole('listitem')
            .filter({ has: page.getByTestId('mail-subject').getByText(WELCOME_SUBJECT, { exact: true }) });
          expect(await welcomeItems.count()).toBe(WELCOME_RECIPIENTS.length);
          // Times are rendered through Intl in the page language, with the exact instant in the markup.
          const time = welcomeItems.first().locator('time');
          expect(await time.getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
          if (expected.yearWord) expect(await time.getAttribute('title')).toContain(expected.yearWord);

          await page.screenshot({ path: await artifactPath(expected.screenshots.list), fullPage: true });

          const studentMail = welcomeItems.filter({
            has: page.getByTestId('mail-recipients').getByText('student@lectio.localhost'),
          });
          expect(await studentMail.count()).toBe(1);
          await studentMail.getByRole('link').click();
          await page.waitForURL(/\/dev\/mailbox\/[0-9a-f-]{36}$/);

          const subject = page.getByRole('heading', { level: 1 });
          await subject.waitFor();
          expect(await subject.textContent()).toBe(WELCOME_SUBJECT);
          // Focus moves to the message so keyboard and screen-reader users start there.
          expect(await subject.evaluate((element) => element === document.activeElement)).toBe(true);

          const details = page.locator('dl');
          expect(await details.locator('dt').allTextContents()).toEqual([expected.from, expected.to, expected.date]);
          expect(await page.getByTestId('mail-to').textContent()).toBe('student@lectio.localhost');
          expect(await page.getByTestId('mail-from').textContent()).not.toBe('');

          const body = page.locator('pre');
          expect(await body.count()).toBe(1);
          expect(await body.textContent()).toContain('Hello Student Lee');
          expect(await body.evaluate((element) => getComputedStyle(element).whiteSpace)).toBe('pre-wrap');

          await page.screenshot({ path: await artifactPath(expected.screenshots.message), fullPage: true });

          // Back to the list, by keyboard.
          await page.getByRole('link', { name: expected.back }).focus();
          await page.keyboard.press('Enter');
          await page.waitForURL(/\/dev\/mailbox$/);
          await list.waitFor();

          expect(foreignRequests).toEqual([]);
          expect(consoleErrors).toEqual([]);
        } finally {
          await context.close();
        }
      },
      TEST_TIMEOUT_MS,
    );
  }

  it(
    'shows HTML mail only in a sandboxed frame, never in the page',
    async () => {
      const mail = fakeMail(1, {
        subject: 'HTML mail',
        text: 'Plain version: Hello Student Lee',
        html: [
          '<h1 id="greeting">HTML version</h1>',
          '<img src="https://tracker.example/pixel.gif" alt="">',
          '<img src="x" onerror="window.top.__injected = true">',
          '<script>window.top.__injected = true; parent.document.body.dataset.injected = "yes";</script>',
        ].join(''),
      });
      const { context, page, foreignRequests, consoleErrors } = await openPage(
        'en',
        `/dev/mailbox/${mail.id}`,
        (page) => page.route(`**/api/v1/dev/mailbox/${mail.id}`, (route) => fulfilJson(route, 200, mail)),
      );
      try {
        await page.getByRole('heading', { level: 1, name: 'HTML mail' }).waitFor();
        // The plain text comes first; the HTML is never part of the page's own DOM.
        expect(await page.locator('pre').textContent()).toBe(mail.text);
        expect(await page.locator('#greeting').count()).toBe(0);
        expect(await page.locator('main img').count()).toBe(0);

        const htmlButton = page.getByRole('button', { name: LOCALES.en.showHtml, exact: true });
        expect(await htmlButton.getAttribute('aria-pressed')).toBe('false');
        await htmlButton.click();
        expect(await htmlButton.getAttribute('aria-pressed')).toBe('true');

        const frameElement = page.locator('iframe[data-testid="mail-html"]');
        await frameElement.waitFor();
        expect(await frameElement.getAttribute('sandbox')).toBe('');
        // The srcdoc document renders under the page's CSP (Chromium would leave it blank if blocked).
        const frame = page.frameLocator('iframe[data-testid="mail-html"]');
        await frame.locator('#greeting').waitFor({ timeout: 5_000 });
        expect(await frame.locator('#greeting').textContent()).toBe('HTML version');
        // The addresses the mail's markup would fetch are taken out, not left for the policy to stop.
        expect(await frame.locator('img').count()).toBe(2);
        expect(await frame.locator('img[src]').count()).toBe(0);
        // Give the frame's images their chance to (not) load before looking at what was requested.
        await frame.locator('img').first().waitFor({ state: 'attached', timeout: 5_000 });
        await page.waitForTimeout(500);
        await page.screenshot({ path: await artifactPath('mailbox-html.png'), fullPage: true });

        expect(await page.evaluate(() => 'injected' in document.body.dataset)).toBe(false);
        expect(await page.evaluate(() => '__injected' in window)).toBe(false);
        expect(foreignRequests).toEqual([]);
        // Chromium reports what the sandbox, the CSP and the server's CORP header
        // blocked (the relative image is asked of Lectio from an opaque origin);
        // nothing else may fail.
        const expectedBlocks = [
          /^Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed/,
          /violates the following Content Security Policy directive/,
          /net::ERR_BLOCKED_BY_RESPONSE/,
        ];
        expect(consoleErrors.filter((text) => !expectedBlocks.some((pattern) => pattern.test(text)))).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'pages through a long mailbox twenty messages at a time',
    async () => {
      const mails = Array.from({ length: 27 }, (_, index) => fakeMail(index + 1));
      const requestedPages: string[] = [];
      const { context, page, consoleErrors } = await openPage('ko', '/dev/mailbox', (page) =>
        page.route('**/api/v1/dev/mailbox?*', (route) => {
          const url = new URL(route.request().url());
          const limit = Number(url.searchParams.get('limit'));
          const offset = Number(url.searchParams.get('offset'));
          requestedPages.push(`${limit}@${offset}`);
          return fulfilJson(route, 200, { items: mails.slice(offset, offset + limit), limit, offset });
        }),
      );
      try {
        const items = page.getByTestId('mail-list-item');
        const next = page.getByRole('button', { name: LOCALES.ko.next });
        const previous = page.getByRole('button', { name: LOCALES.ko.previous });

        await items.first().waitFor();
        expect(await items.count()).toBe(20);
        expect(await previous.getAttribute('aria-disabled')).toBe('true');
        // Next becomes available once the following page is known not to be empty.
        await expect.poll(() => next.getAttribute('aria-disabled')).toBe('false');

        await next.focus();
        await page.keyboard.press('Enter');
        await page.waitForURL(/\?page=2$/);
        await page.getByText('Test message 27', { exact: true }).waitFor();
        expect(await items.count()).toBe(7);
        expect(await next.getAttribute('aria-disabled')).toBe('true');
        // The pager keeps focus when it reaches the last page.
        expect(await next.evaluate((element) => element === document.activeElement)).toBe(true);

        await previous.click();
        await page.waitForURL(/\/dev\/mailbox$/);
        await page.getByText('Test message 1', { exact: true }).waitFor();
        expect(requestedPages).toContain('20@0');
        expect(requestedPages).toContain('20@20');
        // Only the footer link's availability probe asks for less than a page.
        expect(requestedPages.filter((request) => !request.startsWith('20@'))).toEqual(['1@0']);
        expect(consoleErrors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'says the mailbox exists only in development mode when the server has none, and hides the footer link',
    async () => {
      const notFound = { error: { code: 'not_found', message: 'No route for GET /api/v1/dev/mailbox' } };
      const { context, page } = await openPage('ko', '/dev/mailbox', (page) =>
        page.route('**/api/v1/dev/mailbox?*', (route) => fulfilJson(route, 404, notFound)),
      );
      try {
        const alert = page.getByRole('alert');
        await alert.waitFor();
        expect(await alert.textContent()).toContain(LOCALES.ko.unavailable);
        expect(await page.getByRole('contentinfo').getByRole('link').count()).toBe(0);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
