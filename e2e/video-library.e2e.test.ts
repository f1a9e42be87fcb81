import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifactPath, openTrackedPage, useLectioWithBrowser } from './harness.js';

const SETUP_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 20_000;
/** The seed's demo lecture (24 s, 720p) goes through the real pipeline on a busy 2-core machine. */
const READY_TIMEOUT_MS = 180_000;
const MOBILE = { width: 375, height: 812 };

const INSTRUCTOR = { email: 'instructor@lectio.localhost', password: 'lectio-instructor-demo' };
const DRAFT_FILE = 'library-draft.mp4';
/** The seed gives the published demo course's video lesson this generated lecture. */
const DEMO_FILE = 'demo-lecture.mp4';

// Spelled out rather than read from the catalogues, so a missing translation fails the test.
// The demo instructor's language is Korean: after signing in the studio speaks Korean.
const UI = {
  email: 'Email',
  password: 'Password',
  logIn: 'Log in',
  accountMenu: /^(Account menu|계정 메뉴): /,
  library: '내 동영상',
  statusFilter: '상태',
  uploading: '업로드 중',
  uploadingHint: '업로드가 끝나지 않았습니다. 이어 올리려면 레슨의 동영상 업로드에서 같은 파일을 다시 선택하세요.',
  ready: '준비됨',
  renditions: '화질별 파일',
  player: (name: string) => `동영상: ${name}`,
  delete: '동영상 삭제',
  deleted: (name: string) => `“${name}”을(를) 삭제했습니다.`,
  inUse:
    '공개된 강의의 레슨에서 쓰는 동영상입니다. 삭제하려면 먼저 그 레슨에 다른 동영상을 지정하거나 강의를 비공개로 전환하세요.',
  notFound: '동영상을 찾을 수 없습니다',
} as const;

async function apiLogin(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(INSTRUCTOR),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

/** What a 375 px wide phone would have to scroll sideways to see (0 when the page fits). */
const sidewaysOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('the studio video library in Chromium', () => {
  const setup = useLectioWithBrowser({ setupTimeoutMs: SETUP_TIMEOUT_MS });

  it(
    'lists the instructor’s videos, filters them, shows a video’s details and deletes one, refusing a video a published course shows',
    async () => {
      const lectio = setup.lectio();
      const token = await apiLogin(lectio.url);
      const auth = { authorization: `Bearer ${token}` };
      // An upload started and never finished: a row in the library without any bytes sent.
      const started = await fetch(`${lectio.url}/api/v1/studio/videos/uploads`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ filename: DRAFT_FILE, size: 3 * 1024 * 1024, fingerprint: 'e2e-library-draft' }),
      });
      expect(started.status).toBe(201);
      const draft = ((await started.json()) as { video: { id: string; status: string } }).video;
      expect(draft.status).toBe('uploading');

      const tracked = await openTrackedPage(setup.browser(), lectio.url, {
        locale: 'en-US',
        path: '/login?next=%2Fstudio%2Fvideos',
        prepare: (page) => page.setViewportSize(MOBILE),
      });
      const { page } = tracked;
      page.on('dialog', (dialog) => void dialog.accept());
      try {
        await page.getByLabel(UI.email, { exact: true }).fill(INSTRUCTOR.email);
        await page.getByLabel(UI.password, { exact: true }).fill(INSTRUCTOR.password);
        await page.getByRole('main').getByRole('button', { name: UI.logIn }).click();
        await page.getByRole('heading', { level: 1, name: UI.library }).waitFor({ timeout: STEP_TIMEOUT_MS });
        expect(new URL(page.url()).pathname).toBe('/studio/videos');

        // Both videos are listed, the unfinished upload with its state.
        const list = page.getByRole('list', { name: '동영상', exact: true });
        const draftRow = list.getByRole('listitem').filter({ has: page.getByRole('link', { name: DRAFT_FILE }) });
        await draftRow.waitFor({ timeout: STEP_TIMEOUT_MS });
        await expect.poll(() => draftRow.getByTestId('video-status-badge').textContent()).toBe(UI.uploading);
        await list.getByRole('link', { name: DEMO_FILE }).waitFor({ timeout: STEP_TIMEOUT_MS });
        expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
        await page.screenshot({ path: await artifactPath('video-library-375.png'), fullPage: true });

        // The status filter narrows the list, and the URL keeps it.
        await page.getByLabel(UI.statusFilter, { exact: true }).selectOption({ label: UI.uploading });
        await page.waitForURL(/\/studio\/videos\?status=uploading$/, { timeout: STEP_TIMEOUT_MS });
        await expect.poll(() => list.getByRole('link').allTextContents()).toEqual([DRAFT_FILE]);

        // Its page says what to do, and deleting it (after the confirmation) removes it.
        await list.getByRole('link', { name: DRAFT_FILE }).click();
        await page.getByRole('heading', { level: 1, name: DRAFT_FILE }).waitFor({ timeout: STEP_TIMEOUT_MS });
        await page.getByText(UI.uploadingHint, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
        await page.getByRole('button', { name: UI.delete }).click();
        await page.getByText(UI.deleted(DRAFT_FILE), { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
        expect(new URL(page.url()).pathname).toBe('/studio/videos');
        await list.getByRole('link', { name: DEMO_FILE }).waitFor({ timeout: STEP_TIMEOUT_MS });
        expect(await list.getByRole('link', { name: DRAFT_FILE }).count()).toBe(0);
        const gone = await fetch(`${lectio.url}/api/v1/studio/videos/${draft.id}`, { headers: auth });
        expect(gone.status).toBe(404);

        // The demo lecture: the page follows processing until it is ready, then shows what it produced.
        await list.getByRole('link', { name: DEMO_FILE }).click();
        await page.getByRole('heading', { level: 1, name: DEMO_FILE }).waitFor({ timeout: STEP_TIMEOUT_MS });
        await page
          .getByTestId('video-status-badge')
          .filter({ hasText: new RegExp(`^${UI.ready}$`) })
          .waitFor({ timeout: READY_TIMEOUT_MS });
        const renditions = page.getByRole('table');
        await renditions.waitFor({ timeout: STEP_TIMEOUT_MS });
        expect(await page.getByRole('heading', { level: 2, name: UI.renditions }).count()).toBe(1);
        const rows = await renditions.getByRole('row').allInnerTexts();
        // A header row, then one per rung of the ladder, the 720p source's own size among them.
        expect(rows.length).toBeGreaterThanOrEqual(3);
        expect(rows.slice(1)).toContainEqual(expect.stringMatching(/^720p\s+1280×720\s+\d+(\.\d)?\s?Mb\/s$/));
        await page.getByLabel(UI.player(DEMO_FILE), { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
        await page.getByRole('img', { name: `${DEMO_FILE} 포스터` }).waitFor({ timeout: STEP_TIMEOUT_MS });
        expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
        await page.screenshot({ path: await artifactPath('video-library-detail-375.png'), fullPage: true });

        // A published course shows it: the delete is refused with a reason, and the video stays.
        const refused = page.waitForResponse((r) => r.request().method() === 'DELETE');
        await page.getByRole('button', { name: UI.delete }).click();
        expect((await refused).status()).toBe(409);
        await page.getByRole('alert').getByText(UI.inUse, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });

        // Another id, or a deleted one, is a not-found message rather than an error.
        await page.goto(`${lectio.url}/studio/videos/${draft.id}`);
        await page.getByRole('heading', { level: 1, name: UI.notFound }).waitFor({ timeout: STEP_TIMEOUT_MS });

        expect(tracked.foreignRequests).toEqual([]);
        expect(tracked.pageErrors).toEqual([]);
      } finally {
        await tracked.context.close();
      }
    },
    READY_TIMEOUT_MS + 90_000,
  );
});
