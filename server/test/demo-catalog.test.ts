import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_COURSES } from '../src/modules/system/demo-catalog.js';
import { rowsOf } from '../src/platform/db/rows.js';
import { ApiClient } from './support/accounts.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

interface Card {
  id: string;
  slug: string;
  title: string;
  language: 'ko' | 'en';
  isFree: boolean;
  price: { amount: number; currency: 'KRW' | 'USD' } | null;
  category: { slug: string } | null;
  rating: { average: number; count: number };
  enrollmentCount: number;
  cover: { fallback: string; sources: { type: string; srcset: string }[] } | null;
}

interface Page<T> {
  items: T[];
  total: number;
}

const PUBLISHED = DEMO_COURSES.filter((c) => c.status === 'published');

describe('the demo catalog of a fresh embedded start', () => {
  let server: TestServer;
  const client = (n = 1) => new ApiClient(server.url, `10.9.0.${n}`);
  const getJson = async <T>(c: ApiClient, path: string): Promise<T> => {
    const res = await c.call('GET', path);
    expect(res.status, `${path} answered ${res.status}`).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    // Like `npm start`: the demo lecture is generated and goes through the real pipeline.
    server = await startTestServer({ SEED_DEMO_VIDEO: 'true' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists the published courses, in Korean and English, free and paid in KRW and USD', async () => {
    const page = await getJson<Page<Card>>(client(), '/courses?sort=newest&pageSize=50');
    expect(page.total).toBe(PUBLISHED.length);
    const titles = page.items.map((c) => c.title);
    for (const title of [
      '입문자를 위한 파이썬',
      '데이터분석 실전',
      'JavaScript 완벽 가이드',
      'Practical Machine Learning with Python',
    ]) {
      expect(titles).toContain(title);
    }
    expect(titles).not.toContain('고급 파이썬 패턴');
    expect(new Set(page.items.map((c) => c.language))).toEqual(new Set(['ko', 'en']));
    expect(page.items.some((c) => c.isFree)).toBe(true);
    expect(new Set(page.items.filter((c) => !c.isFree).map((c) => c.price?.currency))).toEqual(new Set(['KRW', 'USD']));
    // Every demo course has a generated cover, in every width.
    for (const card of page.items)
      expect(
        card.cover?.sources.map((s) => s.type),
        card.title,
      ).toEqual(['image/webp', 'image/jpeg']);
    const cover = await fetch(page.items[0]!.cover!.fallback);
    expect(cover.headers.get('content-type')).toBe('image/jpeg');
    // Newest first: the seed spreads publication dates out.
    expect(page.items[0]!.title).toBe('Git & GitHub Essentials');
  });

  it('has two-level categories with Korean and English names', async () => {
    const { items } = await getJson<{
      items: { slug: string; nameKo: string; nameEn: string; children: { slug: string; nameKo: string }[] }[];
    }>(client(), '/categories');
    const data = items.find((c) => c.slug === 'data-science');
    expect(data).toMatchObject({ nameKo: '데이터 과학', nameEn: 'Data Science' });
    expect(data!.children.map((c) => c.slug)).toEqual(['data-analysis', 'machine-learning']);
    const inCategory = await getJson<Page<Card>>(client(), '/courses?category=machine-learning&pageSize=50');
    expect(inCategory.items.map((c) => c.title).sort()).toEqual([
      'Practical Machine Learning with Python',
      '딥러닝 첫걸음',
    ]);
  });

  it('makes the seeded courses searchable in Korean and English', async () => {
    const search = async (q: string) =>
      (await getJson<Page<Card>>(client(), `/search?q=${encodeURIComponent(q)}`)).items.map((c) => c.title);
    expect(await search('입문')).toContain('입문자를 위한 파이썬');
    expect(await search('데이터')).toContain('데이터분석 실전');
    expect(await search('machine learning')).toContain('Practical Machine Learning with Python');
    expect(await search('고급 파이썬')).not.toContain('고급 파이썬 패턴');
  });

  it('shows curricula with free previews and Markdown text lessons', async () => {
    const detail = await getJson<{
      sections: { title: string; lessons: { id: string; isFreePreview: boolean; type: string }[] }[];
      lessonCount: number;
    }>(client(), `/courses/${encodeURIComponent('입문자를-위한-파이썬')}`);
    expect(detail.sections.map((s) => s.title)).toEqual(['파이썬 시작하기', '기본 문법']);
    expect(detail.lessonCount).toBe(6);
    const preview = detail.sections[0]!.lessons.find((l) => l.isFreePreview && l.type === 'text')!;
    const lesson = await getJson<{ body: string }>(client(), `/lessons/${preview.id}`);
    expect(lesson.body).toContain('# 파이썬 설치하기');
  });

  it('keeps ratings consistent with the reviews, and enrolls the demo student', async () => {
    const rows = rowsOf<{ slug: string; average: number; count: number; actual_average: string; actual_count: number }>(
      await server.database.primary.execute(sql`
        select c.slug, c.rating_average::float as average, c.rating_count as count,
          coalesce(round(avg(r.rating)::numeric, 2), 0)::text as actual_average, count(r.id)::int as actual_count
        from courses c left join reviews r on r.course_id = c.id and r.status = 'visible'
        group by c.id`),
    );
    expect(rows).toHaveLength(DEMO_COURSES.length);
    for (const row of rows) {
      expect(row.count, row.slug).toBe(row.actual_count);
      expect(row.average, row.slug).toBeCloseTo(Number(row.actual_average), 2);
    }
    expect(rows.filter((r) => r.count > 0).length).toBeGreaterThanOrEqual(5);

    const python = (await getJson<Page<Card>>(client(), '/courses?pageSize=50')).items.find(
      (c) => c.title === '입문자를 위한 파이썬',
    )!;
    expect(python.rating).toEqual({ average: 4.67, count: 3 });
    const reviews = await getJson<Page<{ rating: number; body: string }>>(client(), `/courses/${python.id}/reviews`);
    expect(reviews.total).toBe(3);

    const student = client(2);
    expect((await student.login('student@lectio.localhost', 'lectio-student-demo')).status).toBe(200);
    const mine = await getJson<Page<{ course: Card }>>(student, '/me/enrollments?pageSize=50');
    expect(mine.items.map((e) => e.course.title).sort()).toEqual(
      ['Git & GitHub Essentials', 'JavaScript 완벽 가이드', 'SQL for Data Analysis', '입문자를 위한 파이썬'].sort(),
    );
  });

  it('has a playable free-preview video lecture, transcoded by the real pipeline, for anyone', async () => {
    const detail = await getJson<{
      sections: { lessons: { id: string; isFreePreview: boolean; type: string }[] }[];
    }>(client(), `/courses/${encodeURIComponent('입문자를-위한-파이썬')}`);
    const videoLesson = detail.sections[0]!.lessons.find((l) => l.type === 'video')!;
    expect(videoLesson.isFreePreview).toBe(true);
    interface LessonVideo {
      status: string;
      playable: boolean;
      durationSeconds: number | null;
    }
    // A guest (no sign-in) reads the lesson; the transcode runs in the background after start.
    const video = await waitUntil(
      async () => {
        const lesson = await getJson<{ video: LessonVideo | null }>(client(2), `/lessons/${videoLesson.id}`);
        expect(lesson.video?.status).not.toBe('failed');
        return lesson.video?.status === 'ready' ? lesson.video : undefined;
      },
      'the demo lecture to be ready',
      180_000,
    );
    expect(video.durationSeconds).toBeGreaterThan(20);
    expect(video.playable).toBe(true);
    // The guest's player asks for a grant and plays what it signs.
    const granted = await client(2).call('POST', `/lessons/${videoLesson.id}/playback`, {});
    expect(granted.status).toBe(200);
    const grant = (await granted.json()) as { sessionId: string | null; hlsUrl: string; posterUrl: string | null };
    expect(grant.sessionId).toBeNull();
    const master = await fetch(grant.hlsUrl);
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toContain('mpegurl');
    const text = await master.text();
    // A 720p source: the 720p, 480p and 360p rungs and nothing above.
    expect(text.match(/RESOLUTION=\d+x\d+/g)).toEqual([
      'RESOLUTION=1280x720',
      'RESOLUTION=854x480',
      'RESOLUTION=640x360',
    ]);
    const firstRung = text.split('\n').find((line) => line && !line.startsWith('#'))!;
    const rung = await fetch(new URL(firstRung, grant.hlsUrl));
    expect(rung.status).toBe(200);
    const segment = (await rung.text()).split('\n').find((line) => line.endsWith('.ts'))!;
    const bytes = await fetch(new URL(segment, rung.url));
    expect(bytes.status).toBe(200);
    expect((await bytes.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    const poster = await fetch(grant.posterUrl!);
    expect(poster.headers.get('content-type')).toMatch(/image\/(jpeg|webp)/);
  }, 240_000);

  it('has a paid course whose video lesson only its buyers play, and a site-wide welcome coupon', async () => {
    const detail = await getJson<{
      isFree: boolean;
      sections: { lessons: { id: string; isFreePreview: boolean; type: string }[] }[];
    }>(client(), '/courses/modern-web-development-with-react');
    expect(detail.isFree).toBe(false);
    const videoLessons = detail.sections.flatMap((s) => s.lessons).filter((l) => l.type === 'video');
    expect(videoLessons.map((l) => l.isFreePreview)).toEqual([false]);
    // The same demo lecture as the free course's: one video, one transcode on first start.
    const videos = rowsOf<{ video_id: string }>(
      await server.database.primary.execute(sql`select video_id from lessons where type = 'video'`),
    );
    expect(videos).toHaveLength(2);
    expect(new Set(videos.map((v) => v.video_id)).size).toBe(1);
    // The demo student has not bought it.
    const student = client(3);
    expect((await student.login('student@lectio.localhost', 'lectio-student-demo')).status).toBe(200);
    const refused = await student.call('POST', `/lessons/${videoLessons[0]!.id}/playback`, {});
    expect(refused.status).toBe(403);

    const rows = rowsOf<{ code: string; kind: string; percent_off: number; course_id: string | null; active: boolean }>(
      await server.database.primary.execute(sql`select code, kind, percent_off, course_id, active from coupons`),
    );
    expect(rows).toEqual([{ code: 'WELCOME10', kind: 'percent', percent_off: 10, course_id: null, active: true }]);
  }, 240_000);
});
