import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  apiCall as call,
  apiLogin,
  artifactPath,
  openTrackedPage,
  useLectioWithBrowser,
  type Lesson,
  type TrackedPage,
} from './harness.js';

const SETUP_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 20_000;
/** The seed's demo lecture (24 s, 720p) goes through the real pipeline on a busy 2-core machine. */
const READY_TIMEOUT_MS = 180_000;
/** The progress flush is a once-a-minute job: a report reaches the database within about that. */
const FLUSH_TIMEOUT_MS = 100_000;
const MOBILE = { width: 375, height: 812 };

const STUDENT = { email: 'student@lectio.localhost', password: 'lectio-student-demo' };
const INSTRUCTOR = { email: 'instructor@lectio.localhost', password: 'lectio-instructor-demo' };
/** The seeded free Korean course: one video lesson and five text lessons; the demo student is enrolled. */
const COURSE_SLUG = '입문자를-위한-파이썬';
const COURSE_TITLE = '입문자를 위한 파이썬';
const VIDEO_LESSON = '강의 소개 (영상)';
const OPENED_LESSONS = ['파이썬 설치하기', '첫 번째 프로그램'];

// Spelled out rather than read from the catalogues, so a missing translation fails the test.
// The demo student reads English; the demo instructor's account is Korean.
const UI = {
  email: 'Email',
  password: 'Password',
  logIn: 'Log in',
  continueWatching: 'Continue watching',
  yourCourses: 'Your courses',
  watched: (lesson: string) => `Watched of ${lesson}`,
  progressIn: (course: string) => `Progress in ${course}`,
  lessonsDone: '2 of 6 lessons completed',
  analyticsLink: '학습 통계',
  analyticsTitle: '학습 통계',
  lessons: '레슨별 통계',
  retentionTable: `${VIDEO_LESSON}의 시청 지속률`,
  captionLanguage: '자막 언어',
  captionFile: '자막 파일',
  uploadCaptions: '자막 올리기',
  captionList: '이 동영상의 자막',
  beyondVideo: '자막 파일을 읽을 수 없습니다: 1번 자막이 0:05:01.000에 끝나 동영상보다 깁니다.',
} as const;

async function signIn(tracked: TrackedPage, account: { email: string; password: string }) {
  const { page } = tracked;
  await page.getByLabel(UI.email, { exact: true }).fill(account.email);
  await page.getByLabel(UI.password, { exact: true }).fill(account.password);
  await page.getByRole('main').getByRole('button', { name: UI.logIn }).click();
}

/** What a 375 px wide phone would have to scroll sideways to see (0 when the page fits). */
const sidewaysOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('learning progress, analytics and captions in Chromium', () => {
  const setup = useLectioWithBrowser({ setupTimeoutMs: SETUP_TIMEOUT_MS });

  it(
    'shows a student’s progress on My learning, the instructor’s lesson analytics and retention chart, and uploads captions',
    async () => {
      const lectio = setup.lectio();
      const base = lectio.url;
      const student = await apiLogin(base, STUDENT);
      const instructor = await apiLogin(base, INSTRUCTOR);

      const course = await call<{ id: string; sections: { lessons: Lesson[] }[] }>(
        base,
        student,
        'GET',
        `/courses/${encodeURIComponent(COURSE_SLUG)}`,
      );
      expect(course.status).toBe(200);
      const lessons = course.body.sections.flatMap((section) => section.lessons);
      expect(lessons).toHaveLength(6);
      const videoLesson = lessons.find((lesson) => lesson.title === VIDEO_LESSON);
      if (!videoLesson) throw new Error('the demo course lost its video lesson');
      const enrolled = await call(base, student, 'POST', `/courses/${course.body.id}/enroll`);
      expect([200, 201, 409]).toContain(enrolled.status);

      // The demo lecture must be ready before anyone can be granted playback of it.
      const studio = await call<{ sections: { lessons: (Lesson & { videoId: string | null })[] }[] }>(
        base,
        instructor,
        'GET',
        `/studio/courses/${course.body.id}`,
      );
      const videoId = studio.body.sections.flatMap((s) => s.lessons).find((l) => l.id === videoLesson.id)?.videoId;
      if (!videoId) throw new Error('the demo video lesson has no video');
      await expect
        .poll(
          async () =>
            (await call<{ status: string }>(base, instructor, 'GET', `/studio/videos/${videoId}`)).body.status,
          {
            timeout: READY_TIMEOUT_MS,
            interval: 1_000,
          },
        )
        .toBe('ready');

      // Progress: two text lessons opened, and the first 10 s of the video watched then paused.
      for (const title of OPENED_LESSONS) {
        const lesson = lessons.find((candidate) => candidate.title === title);
        expect((await call(base, student, 'POST', `/lessons/${lesson?.id}/progress/opened`)).status).toBe(204);
      }
      const grant = await call<{ sessionId: string; durationSeconds: number }>(
        base,
        student,
        'POST',
        `/lessons/${videoLesson.id}/playback`,
        {},
      );
      expect(grant.status).toBe(200);
      const heartbeat = await call<{ completed: boolean }>(
        base,
        student,
        'POST',
        `/lessons/${videoLesson.id}/progress`,
        {
          sessionId: grant.body.sessionId,
          positionSeconds: 10,
          watched: [[0, 10]],
          playbackRate: 1,
          event: 'pause',
        },
      );
      expect(heartbeat).toEqual({ status: 202, body: { completed: false } });
      // Continue watching reads what the flush wrote.
      await expect
        .poll(
          async () =>
            (
              await call<{ continueWatching: { lessonId: string }[] }>(base, student, 'GET', '/me/learning')
            ).body.continueWatching.map((item) => item.lessonId),
          { timeout: FLUSH_TIMEOUT_MS, interval: 2_000 },
        )
        .toEqual([videoLesson.id]);

      // The student's My learning page.
      const learner = await openTrackedPage(setup.browser(), base, {
        locale: 'en-US',
        path: '/login?next=%2Fme%2Flearning',
        prepare: (page) => page.setViewportSize(MOBILE),
      });
      try {
        const { page } = learner;
        await signIn(learner, STUDENT);
        const continuing = page.getByRole('list', { name: UI.continueWatching });
        await continuing.waitFor({ timeout: STEP_TIMEOUT_MS });
        const resume = continuing.getByRole('link', { name: VIDEO_LESSON });
        expect(await resume.getAttribute('href')).toBe(
          `/learn/${encodeURIComponent(COURSE_SLUG)}/lessons/${videoLesson.id}`,
        );
        const position = continuing.getByRole('progressbar', { name: UI.watched(VIDEO_LESSON) });
        expect(await position.getAttribute('aria-valuenow')).toBe('10');
        expect(await position.getAttribute('aria-valuetext')).toMatch(/^0:10 of 0:2\d$/);

        const courses = page.getByRole('list', { name: UI.yourCourses });
        const row = courses.getByRole('listitem').filter({ has: page.getByRole('link', { name: COURSE_TITLE }) });
        const percent = row.getByRole('progressbar', { name: UI.progressIn(COURSE_TITLE) });
        expect(await percent.getAttribute('aria-valuetext')).toBe('33%');
        await row.getByText(UI.lessonsDone, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
        expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
        await page.screenshot({ path: await artifactPath('my-learning-375.png'), fullPage: true });
        expect(learner.foreignRequests).toEqual([]);
        expect(learner.pageErrors).toEqual([]);
      } finally {
        await learner.context.close();
      }

      // The instructor: analytics from the course editor, then captions on the video's page.
      const teacher = await openTrackedPage(setup.browser(), base, {
        locale: 'en-US',
        path: `/login?next=${encodeURIComponent(`/studio/courses/${course.body.id}`)}`,
      });
      try {
        const { page } = teacher;
        page.on('dialog', (dialog) => void dialog.accept());
        await signIn(teacher, INSTRUCTOR);
        await page.getByRole('link', { name: UI.analyticsLink }).click();
        await page.getByRole('heading', { level: 1, name: UI.analyticsTitle }).waitFor({ timeout: STEP_TIMEOUT_MS });
        const table = page.getByRole('table', { name: UI.lessons });
        await table.waitFor({ timeout: STEP_TIMEOUT_MS });
        // Lesson, type, viewers, completions, rate (completions of the course's four students).
        const rows = (await table.getByRole('row').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
        expect(rows).toHaveLength(7);
        expect(rows).toContainEqual(
          expect.stringMatching(new RegExp(`^${escape(VIDEO_LESSON)} 0:2\\d 동영상 1 0 0%$`)),
        );
        for (const title of OPENED_LESSONS) expect(rows).toContain(`${title} 텍스트 1 1 25%`);

        const chart = page.getByRole('img', { name: /의 시청 지속률, 시청자 1명: / });
        await chart.waitFor({ timeout: STEP_TIMEOUT_MS });
        expect(await chart.getAttribute('aria-label')).toMatch(
          /: 0:00에 100%, 0:06에 100%, 0:12에 0%, 0:18에 0%, 0:2\d에 0%\.$/,
        );
        const data = page.getByRole('table', { name: UI.retentionTable });
        expect(await data.getByRole('row').allInnerTexts()).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/^0:00\s+100%$/),
            expect.stringMatching(/^0:05\s+100%$/),
            expect.stringMatching(/^0:15\s+0%$/),
            expect.stringMatching(/^0:20\s+0%$/),
          ]),
        );
        await page.screenshot({ path: await artifactPath('course-analytics.png'), fullPage: true });

        await page.goto(`${base}/studio/videos/${videoId}`);
        await page.getByLabel(UI.captionLanguage, { exact: true }).selectOption('en');
        // A cue after the end of the 24 s video: refused with the server's reason.
        await page.getByLabel(UI.captionFile, { exact: true }).setInputFiles({
          name: 'lecture.en.srt',
          mimeType: 'application/x-subrip',
          buffer: Buffer.from('1\n00:05:00,000 --> 00:05:01,000\nToo late\n'),
        });
        await page.getByRole('button', { name: UI.uploadCaptions }).click();
        await page.getByRole('alert').getByText(UI.beyondVideo, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });

        await page.getByLabel(UI.captionFile, { exact: true }).setInputFiles({
          name: 'lecture.en.srt',
          mimeType: 'application/x-subrip',
          buffer: Buffer.from(
            '1\n00:00:01,000 --> 00:00:04,000\nHello, Python!\n\n2\n00:00:05,000 --> 00:00:08,500\n<i>Welcome</i>\n',
          ),
        });
        await page.getByRole('button', { name: UI.uploadCaptions }).click();
        const list = page.getByRole('list', { name: UI.captionList });
        await list.getByText('English', { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
        const stored = await call<{
          items: { language: string; label: string; sourceFormat: string; cueCount: number }[];
        }>(base, instructor, 'GET', `/studio/videos/${videoId}/captions`);
        expect(stored.body.items).toEqual([
          expect.objectContaining({ language: 'en', label: 'English', sourceFormat: 'srt', cueCount: 2 }),
        ]);
        expect(teacher.foreignRequests).toEqual([]);
        expect(teacher.pageErrors).toEqual([]);
      } finally {
        await teacher.context.close();
      }
    },
    READY_TIMEOUT_MS + FLUSH_TIMEOUT_MS + 120_000,
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
