import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { artifactPath, openTrackedPage, useLectioWithBrowser, type TrackedPage } from './harness.js';

const TEST_TIMEOUT_MS = 60_000;
const SETUP_TIMEOUT_MS = 90_000;
const STATUS_TIMEOUT_MS = 15_000;

// Expected strings are spelled out here rather than read from the web app's
// catalogues, so a wrong or missing translation fails the test.
const LOCALES = {
  en: {
    browserLocale: 'en-US',
    heroTitle: 'Learn from the best instructors',
    navHome: 'Home',
    languageSwitchName: 'Language',
    serviceUp: 'Up',
    screenshot: 'home-en.png',
  },
  ko: {
    browserLocale: 'ko-KR',
    heroTitle: '최고의 강사에게 배우세요',
    navHome: '홈',
    languageSwitchName: '언어',
    serviceUp: '정상',
    screenshot: 'home-ko.png',
  },
} as const;

type Language = keyof typeof LOCALES;

describe('home page', () => {
  const setup = useLectioWithBrowser({ setupTimeoutMs: SETUP_TIMEOUT_MS });

  function openHome(language: Language): Promise<TrackedPage> {
    return openTrackedPage(setup.browser(), setup.lectio().url, {
      locale: LOCALES[language].browserLocale,
      path: '/',
    });
  }

  async function heroTitle(page: Page): Promise<string | null> {
    return page.getByRole('heading', { level: 1 }).textContent();
  }

  async function documentLanguage(page: Page): Promise<string | null> {
    return page.locator('html').getAttribute('lang');
  }

  for (const language of Object.keys(LOCALES) as Language[]) {
    const expected = LOCALES[language];

    it(
      `renders in ${language} for a ${expected.browserLocale} browser, using only the server`,
      async () => {
        const { context, page, foreignRequests, consoleErrors } = await openHome(language);
        try {
          expect(await heroTitle(page)).toBe(expected.heroTitle);
          expect(await documentLanguage(page)).toBe(language);
          const header = page.getByRole('banner');
          expect(await header.getByRole('link', { name: expected.navHome, exact: true }).count()).toBe(1);
          expect(await header.textContent()).toContain('Lectio');

          const database = page.getByTestId('health-check-database');
          await database.waitFor({ timeout: STATUS_TIMEOUT_MS });
          expect(await database.getAttribute('data-status')).toBe('up');
          expect(await database.getByTestId('backend').textContent()).toBe('pglite');
          expect(await database.textContent()).toContain(expected.serviceUp);

          // Hangul would still render through the machine's system CJK fonts, so
          // check that loaded faces of the bundled web font cover the hero text.
          expect(await charactersNotCoveredByBundledFont(page, expected.heroTitle)).toEqual([]);

          await page.screenshot({ path: await artifactPath(expected.screenshot), fullPage: true });

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
    'switches language from the header and remembers the choice',
    async () => {
      const { context, page, consoleErrors } = await openHome('en');
      try {
        expect(await heroTitle(page)).toBe(LOCALES.en.heroTitle);

        await page.getByRole('combobox', { name: LOCALES.en.languageSwitchName }).selectOption('ko');
        await page.getByRole('heading', { level: 1, name: LOCALES.ko.heroTitle }).waitFor({ timeout: 5_000 });
        expect(await documentLanguage(page)).toBe('ko');
        expect(await page.evaluate(() => localStorage.getItem('lectio.lang'))).toBe('ko');

        // The stored choice beats the browser's en-US preference on the next visit.
        await page.reload({ waitUntil: 'networkidle' });
        expect(await heroTitle(page)).toBe(LOCALES.ko.heroTitle);
        expect(await documentLanguage(page)).toBe('ko');

        await page.getByRole('combobox', { name: LOCALES.ko.languageSwitchName }).selectOption('en');
        await page.getByRole('heading', { level: 1, name: LOCALES.en.heroTitle }).waitFor({ timeout: 5_000 });
        expect(await documentLanguage(page)).toBe('en');

        expect(consoleErrors).toEqual([]);
      } finally {
        await context.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

/** Characters of `text` that no loaded face of the bundled "Noto Sans KR" covers. */
async function charactersNotCoveredByBundledFont(page: Page, text: string): Promise<string[]> {
  return page.evaluate(async (text) => {
    await document.fonts.ready;
    const coveredRanges = [...document.fonts]
      .filter((face) => face.status === 'loaded' && face.family.replaceAll('"', '') === 'Noto Sans KR')
      .flatMap((face) => face.unicodeRange.split(','))
      .map((range) => {
        const [start = '', end = start] = range.trim().replace(/^U\+/i, '').split('-');
        return { start: Number.parseInt(start, 16), end: Number.parseInt(end, 16) };
      });
    return [...new Set(text)].filter((character) => {
      const codePoint = character.codePointAt(0) ?? 0;
      return !coveredRanges.some(({ start, end }) => codePoint >= start && codePoint <= end);
    });
  }, text);
}
