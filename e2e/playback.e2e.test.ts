import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../server/test/support/accounts.js';
import { generateVideo } from '../server/test/support/media.js';
import { uploadThroughApi, watchUntilSettled } from '../server/test/support/video-pipeline.js';
import { artifactPath, openTrackedPage, useLectioWithBrowser, type TrackedPage } from './harness.js';

/** Renewal every ~12 s: a minute of playback crosses several grants. */
const TOKEN_TTL_SECONDS = 20;
/** A first start migrates and seeds; on a busy 2-core machine that can take a minute or more. */
const SETUP_TIMEOUT_MS = 150_000;
/** Upload and transcode of a 76 s clip while the seed's demo lecture is processed too. */
const READY_TIMEOUT_MS = 150_000;
const STEP_TIMEOUT_MS = 20_000;
const MOBILE = { width: 375, height: 812 };

const INSTRUCTOR = { email: 'instructor@lectio.localhost', password: 'lectio-instructor-demo' };
const STUDENT = { email: 'student@lectio.localhost', password: 'lectio-student-demo' };
/** A free seeded course the demo student is enrolled in; its first lesson is a video lesson. */
const COURSE_SLUG = '입문자를-위한-파이썬';

// Spelled out rather than read from the catalogues, so a missing translation fails the test.
// The demo student's language is English.
const UI = {
  email: 'Email',
  password: 'Password',
  logIn: 'Log in',
  accountMenu: /^(Account menu|계정 메뉴): /,
  player: (title: string) => `Video: ${title}`,
  shortcuts: /^Keyboard shortcuts \(when the player has focus\): Space play\/pause/,
  sidebar: 'Course content',
  completed: '(completed)',
  autoplayNext: 'Play the next lesson automatically',
  next: (title: string) => `Next: ${title}`,
  cancel: 'Cancel',
} as const;

const CAPTIONS_EN = ['WEBVTT', '', '00:00:00.000 --> 00:01:16.000', 'Welcome to the lecture', ''].join('\n');
const CAPTIONS_KO = ['1', '00:00:00,000 --> 00:01:16,000', '강의에 오신 것을 환영합니다', ''].join('\n');

interface PlayerState {
  currentTime: number;
  playbackRate: number;
  paused: boolean;
  showingCaptions: string[];
  autoLevel: boolean | null;
  levelHeight: number | null;
}

/** What the lesson's media element and its hls.js instance report. */
const playerState = (page: Page) =>
  page.evaluate((): PlayerState => {
    interface HlsLike {
      autoLevelEnabled: boolean;
      currentLevel: number;
      levels: { height: number }[];
    }
    const media = document.querySelector('hls-video') as (HTMLVideoElement & { api: HlsLike | null }) | null;
    if (!media) throw new Error('no player on the page');
    const hls = media.api;
    return {
      currentTime: media.currentTime,
      playbackRate: media.playbackRate,
      paused: media.paused,
      showingCaptions: Array.from(media.textTracks)
        .filter((track) => track.kind === 'subtitles' && track.mode === 'showing')
        .map((track) => track.language),
      autoLevel: hls ? hls.autoLevelEnabled : null,
      levelHeight: hls && hls.currentLevel >= 0 ? (hls.levels[hls.currentLevel]?.height ?? null) : null,
    };
  });

async function waitForState(
  page: Page,
  check: (state: PlayerState) => boolean,
  what: string,
  timeoutMs = STEP_TIMEOUT_MS,
) {
  const deadline = Date.now() + timeoutMs;
  let last: PlayerState | undefined;
  while (Date.now() < deadline) {
    last = await playerState(page);
    if (check(last)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`timed out waiting for ${what}; last player state ${JSON.stringify(last)}`);
}

async function logIn(page: Page): Promise<void> {
  await page.getByLabel(UI.email, { exact: true }).fill(STUDENT.email);
  await page.getByLabel(UI.password, { exact: true }).fill(STUDENT.password);
  await page.getByRole('main').getByRole('button', { name: UI.logIn }).click();
  await page.getByRole('banner').getByRole('button', { name: UI.accountMenu }).waitFor({ timeout: STEP_TIMEOUT_MS });
}

/** Every playback token seen in media requests, and every answer of the media route or progress API. */
function recordNetwork(tracked: TrackedPage) {
  const tokens = new Set<string>();
  const mediaStatuses: number[] = [];
  const progressStatuses: number[] = [];
  tracked.page.on('request', (request) => {
    const token = /\/media\/p\/([^/]+)\/videos\//.exec(new URL(request.url()).pathname)?.[1];
    if (token) tokens.add(token);
  });
  tracked.page.on('response', (response) => {
    const { pathname } = new URL(response.url());
    if (pathname.startsWith('/media/')) mediaStatuses.push(response.status());
    if (/\/api\/v1\/lessons\/[^/]+\/progress$/.test(pathname)) progressStatuses.push(response.status());
  });
  return { tokens, mediaStatuses, progressStatuses };
}

/** Opens a media-chrome menu by its button and picks an item. */
async function choose(page: Page, button: string, item: string | RegExp) {
  await page.locator(button).click();
  await page.getByRole('menuitemradio', { name: item }).click();
}

/** Jumps the lesson's video to two seconds before its end and plays it muted, so `ended` comes soon. */
const playTheLastSeconds = (page: Page) =>
  page.evaluate(async () => {
    const media = document.querySelector('hls-video') as HTMLVideoElement | null;
    if (!media) throw new Error('no player on the page');
    const seeked = new Promise((resolve) => media.addEventListener('seeked', resolve, { once: true }));
    media.muted = true;
    media.currentTime = media.duration - 2;
    await seeked;
    await media.play();
  });

describe('lecture playback in Chromium', () => {
  const setup = useLectioWithBrowser({
    setupTimeoutMs: SETUP_TIMEOUT_MS,
    readyTimeoutMs: SETUP_TIMEOUT_MS - 20_000,
    env: { PLAYBACK_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS) },
  });
  let scratch = '';
  let lessonPath = '';
  let lessonTitle = '';

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'lectio-e2e-playback-'));
    const lectio = setup.lectio();
    const instructor = new ApiClient(lectio.url, '10.66.0.1');
    expect((await instructor.login(INSTRUCTOR.email, INSTRUCTOR.password)).status).toBe(200);
    // 76 s at 480p: two rungs (480p, 360p) to switch between, long enough for a minute of playback;
    // 12 frames a second keeps the transcode short on a busy machine.
    const file = await generateVideo(path.join(scratch, 'lecture-76s.mp4'), {
      seconds: 76,
      width: 854,
      height: 480,
      fps: 12,
    });
    const uploaded = await uploadThroughApi(instructor, file);
    const { final } = await watchUntilSettled(instructor, uploaded.id, READY_TIMEOUT_MS);
    expect(final.status).toBe('ready');
    for (const caption of [
      { language: 'en', label: 'English', content: CAPTIONS_EN },
      { language: 'ko', label: '한국어', content: CAPTIONS_KO },
    ]) {
      const added = await instructor.call('POST', `/studio/videos/${final.id}/captions`, caption);
      expect(added.status, await added.clone().text()).toBeLessThan(300);
    }
    // The seeded course's video lesson now shows this lecture.
    const course = (await (await instructor.call('GET', `/courses/${encodeURIComponent(COURSE_SLUG)}`)).json()) as {
      sections: { lessons: { id: string; title: string; type: string }[] }[];
    };
    const lesson = course.sections.flatMap((section) => section.lessons).find((entry) => entry.type === 'video');
    if (!lesson) throw new Error('the seeded course has no video lesson');
    const patched = await instructor.call('PATCH', `/studio/lessons/${lesson.id}`, { videoId: final.id });
    expect(patched.status, await patched.clone().text()).toBe(200);
    lessonPath = `/learn/${encodeURIComponent(COURSE_SLUG)}/lessons/${lesson.id}`;
    lessonTitle = lesson.title;
  }, READY_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('an enrolled student picks a quality, 1.5x and captions, leaves, and comes back to the same place, speed and captions', async () => {
    const lectio = setup.lectio();
    const tracked = await openTrackedPage(setup.browser(), lectio.url, {
      locale: 'en-US',
      path: `/login?next=${encodeURIComponent(lessonPath)}`,
      prepare: (page) => page.setViewportSize(MOBILE),
    });
    const { page } = tracked;
    const network = recordNetwork(tracked);
    try {
      await logIn(page);
      const player = page.getByRole('region', { name: UI.player(lessonTitle) });
      await player.waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.getByText(UI.shortcuts).waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.getByRole('complementary', { name: UI.sidebar }).waitFor({ timeout: STEP_TIMEOUT_MS });
      // Space on the focused player plays (a keyboard gesture, so autoplay rules allow sound).
      await player.focus();
      await page.keyboard.press('Space');
      await waitForState(page, (state) => !state.paused && state.currentTime > 0.5, 'playback to start');

      await choose(page, 'media-rendition-menu-button', '360p');
      await waitForState(page, (state) => state.autoLevel === false && state.levelHeight === 360, '360p');
      await choose(page, 'media-playback-rate-menu-button', '1.5x');
      await choose(page, 'media-captions-menu-button', 'English');
      const chosen = await waitForState(
        page,
        (state) => state.playbackRate === 1.5 && state.showingCaptions.join() === 'en',
        '1.5x with English captions',
      );
      expect(chosen.paused).toBe(false);
      await page.screenshot({ path: await artifactPath('playback-375.png') });
      // The phone-sized page has nothing to scroll sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(
        0,
      );

      // About 15 s of watching at 1.5x, then the student leaves for another page.
      const left = await waitForState(page, (state) => state.currentTime >= 22, '22 s of the lecture', 30_000);
      await page.goto(`${lectio.url}/`, { waitUntil: 'networkidle' });

      await page.goto(`${lectio.url}${lessonPath}`, { waitUntil: 'networkidle' });
      await player.waitFor({ timeout: STEP_TIMEOUT_MS });
      const back = await waitForState(page, (state) => state.currentTime > 1, 'the resume position');
      expect(Math.abs(back.currentTime - left.currentTime)).toBeLessThanOrEqual(10);
      expect(back.playbackRate).toBe(1.5);
      expect(back.showingCaptions).toEqual(['en']);
      await page.screenshot({ path: await artifactPath('playback-resumed-375.png') });

      expect(network.progressStatuses.length).toBeGreaterThan(0);
      expect(network.progressStatuses.filter((status) => status !== 202)).toEqual([]);
      expect(network.mediaStatuses.filter((status) => status >= 400)).toEqual([]);
      expect(tracked.foreignRequests).toEqual([]);
      expect(tracked.pageErrors).toEqual([]);
    } finally {
      await tracked.context.close();
    }
  }, 120_000);

  it(`plays for a minute without a stall while its ${TOKEN_TTL_SECONDS} s grant is renewed`, async () => {
    const lectio = setup.lectio();
    const tracked = await openTrackedPage(setup.browser(), lectio.url, {
      locale: 'en-US',
      path: `/login?next=${encodeURIComponent(lessonPath)}`,
    });
    const { page } = tracked;
    const network = recordNetwork(tracked);
    try {
      await logIn(page);
      const player = page.getByRole('region', { name: UI.player(lessonTitle) });
      await player.waitFor({ timeout: STEP_TIMEOUT_MS });
      // The account's last position (from the first test) is where it starts; a minute needs the
      // start of the clip, so go back there before playing.
      await waitForState(page, (state) => state.currentTime > 1, 'the resume position');
      // Count stalls and hls.js fatal errors from the first `playing` on.
      await page.evaluate(async () => {
        interface HlsLike {
          on(event: string, listener: (event: string, data: { fatal: boolean; details: string }) => void): void;
        }
        const media = document.querySelector('hls-video') as HTMLVideoElement & { api: HlsLike | null };
        const seeked = new Promise((resolve) => media.addEventListener('seeked', resolve, { once: true }));
        media.currentTime = 0;
        await seeked;
        // Like a student pressing play on a loaded page: the first seconds are buffered.
        const deadline = Date.now() + 20_000;
        while (media.readyState < HTMLMediaElement.HAVE_ENOUGH_DATA && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const record = { playing: false, waiting: [] as string[], fatal: [] as string[] };
        (window as unknown as { __playback: typeof record }).__playback = record;
        const began = performance.now();
        media.addEventListener('playing', () => (record.playing = true));
        media.addEventListener('waiting', () => {
          // Where and when it stalled, for the failure message.
          if (!record.playing) return;
          const buffered = Array.from({ length: media.buffered.length }, (_, i) =>
            [media.buffered.start(i), media.buffered.end(i)].map((edge) => edge.toFixed(1)).join('-'),
          );
          const wall = ((performance.now() - began) / 1000).toFixed(1);
          record.waiting.push(`at ${media.currentTime.toFixed(1)} s, ${wall} s in, buffered ${buffered.join(' ')}`);
        });
        media.api?.on('hlsError', (_event, data) => {
          if (data.fatal) record.fatal.push(data.details);
        });
      });
      await player.focus();
      await page.keyboard.press('Space');
      const start = await waitForState(page, (state) => !state.paused, 'playback to start');
      const startedAt = Date.now();
      await page.waitForTimeout(60_000);
      const end = await playerState(page);
      const wall = (Date.now() - startedAt) / 1000;
      const record = await page.evaluate(
        () =>
          (window as unknown as { __playback: { playing: boolean; waiting: string[]; fatal: string[] } }).__playback,
      );

      // A new browser context: the speed is the default 1x, so a minute is 60 s of the 76 s clip.
      expect(end.currentTime - start.currentTime).toBeGreaterThanOrEqual(55);
      expect(wall).toBeLessThan(75);
      expect(record).toEqual({ playing: true, waiting: [], fatal: [] });
      expect(network.tokens.size).toBeGreaterThanOrEqual(3);
      expect(network.mediaStatuses.filter((status) => status === 403)).toEqual([]);
      expect(network.mediaStatuses.filter((status) => status >= 400)).toEqual([]);
      expect(tracked.pageErrors).toEqual([]);
    } finally {
      await tracked.context.close();
    }
  }, 120_000);

  it('when the video ends the next lesson counts down, can be cancelled, then opens and counts as completed', async () => {
    const lectio = setup.lectio();
    const student = new ApiClient(lectio.url, '10.66.0.2');
    expect((await student.login(STUDENT.email, STUDENT.password)).status).toBe(200);
    const course = (await (await student.call('GET', `/courses/${encodeURIComponent(COURSE_SLUG)}`)).json()) as {
      id: string;
      sections: { lessons: { id: string; title: string; type: string }[] }[];
    };
    const lessons = course.sections.flatMap((section) => section.lessons);
    const index = lessons.findIndex((entry) => lessonPath.endsWith(`/lessons/${entry.id}`));
    const next = lessons[index + 1];
    if (!next) throw new Error('the video lesson has no next lesson');
    const nextPath = `/learn/${encodeURIComponent(COURSE_SLUG)}/lessons/${next.id}`;
    const completedLessons = async () => {
      const answer = await student.call('GET', `/courses/${course.id}/progress`);
      expect(answer.status).toBe(200);
      const progress = (await answer.json()) as { lessons: { lessonId: string; completed: boolean }[] };
      return progress.lessons.filter((entry) => entry.completed).map((entry) => entry.lessonId);
    };
    expect(await completedLessons()).not.toContain(next.id);

    const tracked = await openTrackedPage(setup.browser(), lectio.url, {
      locale: 'en-US',
      path: `/login?next=${encodeURIComponent(lessonPath)}`,
    });
    const { page } = tracked;
    const pathname = () => decodeURIComponent(new URL(page.url()).pathname);
    try {
      await logIn(page);
      await page.getByRole('region', { name: UI.player(lessonTitle) }).waitFor({ timeout: STEP_TIMEOUT_MS });
      // The sidebar lists every lesson of the course in order, the one being watched marked current.
      const sidebar = page.getByRole('complementary', { name: UI.sidebar });
      await sidebar.waitFor({ timeout: STEP_TIMEOUT_MS });
      const rows = await sidebar.getByRole('listitem').allTextContents();
      expect(rows).toHaveLength(lessons.length);
      lessons.forEach((entry, at) => expect(rows[at]).toContain(entry.title));
      const current = sidebar.locator('[aria-current="page"]');
      expect(await current.count()).toBe(1);
      expect(await current.textContent()).toContain(lessonTitle);
      expect(await page.getByRole('checkbox', { name: UI.autoplayNext }).isChecked()).toBe(true);
      await waitForState(page, (state) => Number.isFinite(state.currentTime), 'the player');

      // The video ends: "Next: <title>" counts down; cancel keeps the student on this lesson.
      const countdown = page.getByRole('dialog', { name: UI.next(next.title) });
      await playTheLastSeconds(page);
      await countdown.waitFor({ timeout: STEP_TIMEOUT_MS });
      await countdown.getByRole('button', { name: UI.cancel, exact: true }).click();
      await countdown.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT_MS });
      await page.waitForTimeout(6_000);
      expect(pathname()).toBe(decodeURIComponent(lessonPath));
      expect(await countdown.count()).toBe(0);

      // Ending again and letting the countdown run out opens the next lesson.
      await playTheLastSeconds(page);
      await countdown.waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.waitForURL((url) => decodeURIComponent(url.pathname) === decodeURIComponent(nextPath), {
        timeout: STEP_TIMEOUT_MS,
      });
      await page.getByRole('heading', { level: 1, name: next.title }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const nextCurrent = sidebar.locator('[aria-current="page"]');
      await nextCurrent.filter({ hasText: next.title }).waitFor({ timeout: STEP_TIMEOUT_MS });

      // A text lesson counts as completed once opened: in the progress API and, after a reload, the sidebar.
      if (next.type === 'text') {
        const deadline = Date.now() + STEP_TIMEOUT_MS;
        while (!(await completedLessons()).includes(next.id) && Date.now() < deadline) {
          await page.waitForTimeout(200);
        }
        expect(await completedLessons()).toContain(next.id);
        await page.reload({ waitUntil: 'networkidle' });
        await nextCurrent
          .filter({ hasText: next.title })
          .filter({ hasText: UI.completed })
          .waitFor({ timeout: STEP_TIMEOUT_MS });
      }
      await page.screenshot({ path: await artifactPath('playback-next-lesson.png') });
      expect(tracked.foreignRequests).toEqual([]);
      expect(tracked.pageErrors).toEqual([]);
    } finally {
      await tracked.context.close();
    }
  }, 90_000);
});
