import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifactPath, openTrackedPage, useLectioWithBrowser } from './harness.js';

const TEST_TIMEOUT_MS = 90_000;
const SETUP_TIMEOUT_MS = 90_000;
// The verification mail goes through the job queue; it shows up in the dev mailbox within seconds.
const MAIL_TIMEOUT_MS = 30_000;
const MAIL_POLL_INTERVAL_MS = 1_000;

// Spelled out rather than read from the catalogues, so a missing translation fails the test.
const TEXT = {
  browserLocale: 'en-US',
  email: 'Email',
  password: 'Password',
  displayName: 'Display name',
  terms: 'I agree to the Terms of service (required)',
  privacy: 'I agree to the Privacy policy (required)',
  createAccount: 'Create account',
  checkMail: 'Check your mail',
  verified: 'Your email address is verified. You can log in now.',
  logIn: 'Log in',
  logOut: 'Log out',
} as const;

describe('accounts: sign up, verify, log in, stay logged in, log out', () => {
  const setup = useLectioWithBrowser({ setupTimeoutMs: SETUP_TIMEOUT_MS });

  /** Opens the dev mailbox until a mail to `address` is listed, then opens it and returns its text. */
  async function readMailTo(page: Page, address: string): Promise<string> {
    await page.goto(`${setup.lectio().url}/dev/mailbox`, { waitUntil: 'networkidle' });
    const deadline = Date.now() + MAIL_TIMEOUT_MS;
    const item = page
      .getByTestId('mail-list-item')
      .filter({ has: page.getByTestId('mail-recipients').getByText(address) });
    while ((await item.count()) === 0) {
      if (Date.now() > deadline) throw new Error(`no mail to ${address} within ${MAIL_TIMEOUT_MS / 1000}s`);
      await page.waitForTimeout(MAIL_POLL_INTERVAL_MS);
      await page.reload({ waitUntil: 'networkidle' });
    }
    await page.screenshot({ path: await artifactPath('auth-mailbox.png'), fullPage: true });
    await item.first().getByRole('link').click();
    await page.waitForURL(/\/dev\/mailbox\/[0-9a-f-]{36}$/);
    const text = page.getByTestId('mail-text');
    await text.waitFor();
    await page.screenshot({ path: await artifactPath('auth-verification-mail.png'), fullPage: true });
    return (await text.textContent()) ?? '';
  }

  it(
    'walks the whole account life cycle in Chromium',
    async () => {
      const lectio = setup.lectio();
      const origin = new URL(lectio.url).origin;
      // Only uncaught errors are checked here, as before: requests the flow expects to fail show in the console.
      const { context, page, foreignRequests, pageErrors } = await openTrackedPage(setup.browser(), lectio.url, {
        locale: TEXT.browserLocale,
        path: '/signup',
      });

      const email = `e2e-${Date.now()}@lectio.localhost`;
      const password = 'correct horse battery staple';
      const displayName = 'E2E Learner';

      try {
        // --- sign up ---
        await page.getByLabel(TEXT.email, { exact: true }).fill(email);
        await page.getByLabel(TEXT.password, { exact: true }).fill(password);
        await page.getByLabel(TEXT.displayName, { exact: true }).fill(displayName);
        // The consent labels link to the documents they refer to.
        expect(await page.getByRole('link', { name: 'Terms of service' }).getAttribute('href')).toBe('/terms');
        expect(await page.getByRole('link', { name: 'Privacy policy' }).getAttribute('href')).toBe('/privacy');
        await page.getByLabel(TEXT.terms).check();
        await page.getByLabel(TEXT.privacy).check();
        await page.screenshot({ path: await artifactPath('auth-signup.png'), fullPage: true });
        await page.getByRole('button', { name: TEXT.createAccount }).click();
        await page.getByRole('heading', { level: 1, name: TEXT.checkMail }).waitFor();
        expect(await page.getByRole('status').first().textContent()).toContain(email);
        await page.screenshot({ path: await artifactPath('auth-check-mail.png'), fullPage: true });

        // --- the verification mail, opened in the dev mailbox ---
        const mailText = await readMailTo(page, email);
        const link = /https?:\/\/[^\s"'<>]+\/verify-email\?token=[^\s"'<>]+/.exec(mailText)?.[0];
        expect(link, `no verification link in:\n${mailText}`).toBeTruthy();
        expect(new URL(link ?? '').origin).toBe(origin);

        // --- follow the link ---
        await page.goto(link ?? '', { waitUntil: 'networkidle' });
        await page.getByText(TEXT.verified).waitFor();
        await page.screenshot({ path: await artifactPath('auth-verified.png'), fullPage: true });

        // --- log in ---
        await page.getByRole('main').getByRole('link', { name: TEXT.logIn }).click();
        await page.waitForURL(/\/login/);
        await page.getByLabel(TEXT.email, { exact: true }).fill(email);
        await page.getByLabel(TEXT.password, { exact: true }).fill(password);
        await page.getByRole('main').getByRole('button', { name: TEXT.logIn }).click();
        const userMenu = page.getByTestId('user-menu-button');
        await userMenu.waitFor();
        expect(await userMenu.textContent()).toContain(displayName);
        await page.screenshot({ path: await artifactPath('auth-logged-in.png'), fullPage: true });

        // The access token lives in memory only.
        const stored = await page.evaluate(
          () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
        );
        expect(stored).not.toMatch(/eyJ/);
        const cookieNames = (await context.cookies()).map((cookie) => cookie.name);
        expect(cookieNames).toEqual(expect.arrayContaining(['lectio_refresh', 'lectio_csrf']));

        // --- reload: still signed in through the refresh cookie ---
        await page.reload({ waitUntil: 'networkidle' });
        await userMenu.waitFor();
        expect(await userMenu.textContent()).toContain(displayName);
        await page.goto(`${lectio.url}/settings`, { waitUntil: 'networkidle' });
        await page.getByRole('heading', { level: 1 }).waitFor();
        expect(page.url()).toBe(`${lectio.url}/settings`);
        await page.screenshot({ path: await artifactPath('auth-settings.png'), fullPage: true });

        // --- log out ---
        await userMenu.click();
        await page.screenshot({ path: await artifactPath('auth-user-menu.png'), fullPage: true });
        await page.getByRole('button', { name: TEXT.logOut }).click();
        await page.getByRole('banner').getByRole('link', { name: TEXT.logIn }).waitFor();
        expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain('lectio_refresh');

        await page.goto(`${lectio.url}/settings`, { waitUntil: 'networkidle' });
        await page.waitForURL(/\/login\?next=%2Fsettings$/);
        await page.screenshot({ path: await artifactPath('auth-logged-out.png'), fullPage: true });

        expect(foreignRequests).toEqual([]);
        expect(pageErrors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
  it(
    'shows login errors accessibly, guards admin pages, and lets an admin approve an instructor application',
    async () => {
      const base = setup.lectio().url;
      const { context, page, pageErrors } = await openTrackedPage(setup.browser(), base, {
        locale: TEXT.browserLocale,
        path: '/login',
      });
      const isFocused = (locator: ReturnType<Page['getByRole']>) =>
        locator.evaluate((element) => element === document.activeElement);

      async function logIn(email: string, password: string) {
        await page.getByLabel(TEXT.email, { exact: true }).fill(email);
        await page.getByLabel(TEXT.password, { exact: true }).fill(password);
        await page.getByRole('main').getByRole('button', { name: TEXT.logIn }).click();
      }

      try {
        // Empty submit: the first invalid field is marked, described and focused.
        await page.getByRole('main').getByRole('button', { name: TEXT.logIn }).click();
        const emailField = page.getByLabel(TEXT.email, { exact: true });
        expect(await emailField.getAttribute('aria-invalid')).toBe('true');
        const describedBy = (await emailField.getAttribute('aria-describedby')) ?? '';
        expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBe('Enter a valid email address.');
        expect(await isFocused(emailField)).toBe(true);

        // A wrong password: the translated message for invalid_credentials, focused.
        await logIn('student@lectio.localhost', 'not-the-right-password');
        const alert = page.getByRole('alert').filter({ hasText: 'The email or password is incorrect.' });
        await alert.waitFor();
        expect(await isFocused(page.getByRole('alert'))).toBe(true);
        await page.screenshot({ path: await artifactPath('auth-login-error.png'), fullPage: true });

        // The student signs in, cannot open admin pages, applies to teach and sees their devices.
        await logIn('student@lectio.localhost', 'lectio-student-demo');
        const userMenu = page.getByTestId('user-menu-button');
        await userMenu.waitFor();
        expect(await userMenu.textContent()).toContain('Student Lee');

        await page.goto(`${base}/admin/users`, { waitUntil: 'networkidle' });
        await page.getByRole('heading', { level: 1, name: 'Access denied' }).waitFor();
        await page.screenshot({ path: await artifactPath('auth-forbidden.png'), fullPage: true });

        await page.goto(`${base}/settings`, { waitUntil: 'networkidle' });
        await page
          .getByLabel('Motivation')
          .fill('I have taught statistics for ten years and would love to record a course on it.');
        await page.getByRole('button', { name: 'Apply to teach' }).click();
        await page.getByTestId('application-status').getByText('Under review').waitFor();

        await page.goto(`${base}/settings/sessions`, { waitUntil: 'networkidle' });
        const devices = page.getByTestId('device');
        await devices.first().waitFor();
        expect(await devices.filter({ hasText: 'This device' }).count()).toBe(1);
        await page.screenshot({ path: await artifactPath('auth-sessions.png'), fullPage: true });

        await userMenu.click();
        await page.getByRole('button', { name: TEXT.logOut }).click();
        await page.getByRole('banner').getByRole('link', { name: TEXT.logIn }).waitFor();

        // An admin page asked for while signed out: log in, then land on it (in the admin's Korean).
        await page.goto(`${base}/admin/instructor-applications`, { waitUntil: 'networkidle' });
        await page.waitForURL(/\/login\?next=%2Fadmin%2Finstructor-applications$/);
        await logIn('admin@lectio.localhost', 'lectio-admin-demo');
        await page.waitForURL(/\/admin\/instructor-applications$/);
        await page.getByRole('heading', { level: 1, name: '강사 신청' }).waitFor();
        const card = page.getByRole('listitem').filter({ hasText: 'student@lectio.localhost' });
        await card.getByLabel('신청자에게 남길 의견 (선택)').fill('Welcome aboard!');
        await page.screenshot({ path: await artifactPath('auth-admin-applications.png'), fullPage: true });
        await card.getByRole('button', { name: '승인' }).click();
        await page.getByText('신청이 없습니다.').waitFor();

        // The approved student is an instructor now.
        await page.goto(`${base}/admin/users`, { waitUntil: 'networkidle' });
        await page.getByLabel('이메일 또는 이름으로 검색').fill('student@');
        await page.getByRole('button', { name: '검색', exact: true }).click();
        const roleSelect = page.getByLabel('Student Lee의 역할');
        await roleSelect.waitFor();
        await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1, undefined, {
          timeout: 10_000,
        });
        expect(await roleSelect.inputValue()).toBe('instructor');
        await page.screenshot({ path: await artifactPath('auth-admin-users.png'), fullPage: true });

        expect(pageErrors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
