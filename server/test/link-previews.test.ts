import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { courses } from '../src/modules/catalog/schema.js';
import { users } from '../src/modules/users/schema.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, type TestServer } from './support/servers.js';

const matrix = serverBackends({ SEED_DEMO_DATA: 'true' });

const EVIL_TITLE = 'Evil "><script>alert(1)</script> & <b>bold</b>';
const EVIL_SLUG = 'evil-title-course';

function decode(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** What a crawler that never runs JavaScript reads from the page's head. */
function headOf(html: string) {
  const head = /<head>([\s\S]*)<\/head>/i.exec(html)?.[1] ?? '';
  const meta: Record<string, string> = {};
  for (const [, attr, key, content] of head.matchAll(/<meta (name|property)="([^"]+)" content="([^"]*)"/g)) {
    meta[`${attr}:${key}`] = decode(content!);
  }
  return {
    head,
    title: decode(/<title>([^<]*)<\/title>/.exec(head)?.[1] ?? ''),
    titleCount: head.match(/<title>/g)?.length ?? 0,
    description: meta['name:description'],
    og: (key: string) => meta[`property:og:${key}`],
    canonical: /<link rel="canonical" href="([^"]*)"/.exec(head)?.[1],
    lang: /<html[^>]*\slang="([^"]*)"/.exec(html)?.[1],
  };
}

describe.each(matrix)('link previews, sitemap and robots.txt [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let shell: string;
  let instructorId: string;
  let evilId: string;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer(s.env);
    shell = await (await fetch(`${server.url}/`, { headers: { accept: 'text/html' } })).text();
    const db = server.database.primary;
    const [instructor] = await db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.email, 'instructor@lectio.localhost'));
    instructorId = instructor!.id;
    const [evil] = await db
      .insert(courses)
      .values({
        instructorId,
        slug: EVIL_SLUG,
        title: EVIL_TITLE,
        subtitle: 'A subtitle with "quotes" & <tags>',
        language: 'en',
        status: 'published',
        publishedAt: new Date(),
      })
      .returning({ id: courses.id });
    evilId = evil!.id;
    await db
      .update(courses)
      .set({ coverKey: `covers/${evilId}/v3-w1280`, coverVersion: 3 })
      .where(eq(courses.id, evilId));
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('sends a published course page with its title, description, Open Graph tags and canonical link', async () => {
    // No Accept header, as a link-preview bot may send: the tags are in the HTML itself.
    const res = await fetch(`${server.url}/courses/${encodeURIComponent('입문자를-위한-파이썬')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    const page = headOf(html);
    const url = `${server.url}/courses/${encodeURIComponent('입문자를-위한-파이썬')}`;
    expect(page.titleCount).toBe(1);
    expect(page.title).toBe('입문자를 위한 파이썬 | Lectio');
    expect(page.description).toBe('프로그래밍이 처음이어도 괜찮아요. 변수부터 함수까지 차근차근 배웁니다.');
    expect(page.og('title')).toBe('입문자를 위한 파이썬 | Lectio');
    expect(page.og('description')).toBe(page.description);
    expect(page.og('type')).toBe('website');
    expect(page.og('url')).toBe(url);
    expect(page.og('locale')).toBe('ko_KR');
    expect(page.canonical).toBe(url);
    expect(page.lang).toBe('ko');
    // The seeded cover's widest JPEG, which the server really serves.
    const image = page.og('image')!;
    expect(image).toMatch(new RegExp(`^${server.url}/media/covers/[0-9a-f-]{36}/v\\d+-w1280/1280\\.jpg$`));
    const cover = await fetch(image);
    expect(cover.status).toBe(200);
    expect(cover.headers.get('content-type')).toBe('image/jpeg');
    // Still the app: its scripts and root element are untouched.
    expect(html).toContain('<div id="root">');
    const scripts = (s: string) => s.match(/<script[^>]*src="[^"]+"[^>]*>/g);
    expect(scripts(html)).toEqual(scripts(shell));
  });

  it('keeps a hostile title as text in every tag, and points og:image at the cover JPEG', async () => {
    const html = await (await fetch(`${server.url}/courses/${EVIL_SLUG}`)).text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).not.toContain('"><script>');
    expect(html).not.toContain('<b>bold</b>');
    const page = headOf(html);
    expect(page.title).toBe(`${EVIL_TITLE} | Lectio`);
    expect(page.og('title')).toBe(`${EVIL_TITLE} | Lectio`);
    expect(page.description).toBe('A subtitle with "quotes" & <tags>');
    expect(page.og('locale')).toBe('en_US');
    expect(page.og('image')).toBe(`${server.url}/media/covers/${evilId}/v3-w1280/1280.jpg`);
    // Exactly one script element, the app's own bundle.
    expect(html.match(/<script/g)).toHaveLength(shell.match(/<script/g)?.length ?? 0);
  });

  it('sends the plain app shell for drafts and unknown courses', async () => {
    const draft = await fetch(`${server.url}/courses/${encodeURIComponent('고급-파이썬-패턴')}`);
    expect(draft.status).toBe(200);
    const draftHtml = await draft.text();
    expect(draftHtml).toBe(shell);
    expect(draftHtml).not.toContain('고급 파이썬');
    expect(await (await fetch(`${server.url}/courses/no-such-course`)).text()).toBe(shell);
    expect(await (await fetch(`${server.url}/instructors/not-a-uuid`)).text()).toBe(shell);
  });

  it('sends an instructor page with the instructor name and courses', async () => {
    const html = await (await fetch(`${server.url}/instructors/${instructorId}`)).text();
    const page = headOf(html);
    expect(page.title).toBe('김강사 Kim | Lectio');
    expect(page.og('type')).toBe('profile');
    expect(page.og('url')).toBe(`${server.url}/instructors/${instructorId}`);
    expect(page.canonical).toBe(`${server.url}/instructors/${instructorId}`);
    expect(page.description).toContain('김강사 Kim');
    expect(page.description).toContain('Git & GitHub Essentials');
    expect(html).not.toContain('<script>alert(1)</script>');
    // A student has no public instructor page.
    const [student] = await server.database.primary
      .select({ id: users.id })
      .from(users)
      .where(eq(users.email, 'student@lectio.localhost'));
    expect(await (await fetch(`${server.url}/instructors/${student!.id}`)).text()).toBe(shell);
  });

  it('lists published courses and instructors in /sitemap.xml, and robots.txt points at it', async () => {
    const res = await fetch(`${server.url}/sitemap.xml`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/xml');
    const xml = await res.text();
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<urlset xmlns="http:\/\/www.sitemaps.org\/schemas\/sitemap\/0.9">/,
    );
    const entries = [...xml.matchAll(/<url><loc>([^<]+)<\/loc><lastmod>([^<]+)<\/lastmod><\/url>/g)].map(
      ([, loc, lastmod]) => ({ loc: decode(loc!), lastmod: lastmod! }),
    );
    const locs = entries.map((e) => e.loc);
    for (const slug of [
      '입문자를-위한-파이썬',
      '데이터분석-실전',
      'javascript-완벽-가이드',
      'git-and-github-essentials',
    ]) {
      expect(locs).toContain(`${server.url}/courses/${encodeURIComponent(slug)}`);
    }
    expect(locs).toContain(`${server.url}/courses/${EVIL_SLUG}`);
    expect(locs).toContain(`${server.url}/instructors/${instructorId}`);
    expect(locs.some((l) => l.includes(encodeURIComponent('고급-파이썬-패턴')))).toBe(false);
    for (const e of entries) expect(new Date(e.lastmod).toISOString()).toBe(e.lastmod);
    // Nine published courses (eight seeded, plus the one above) and their one instructor.
    expect(entries).toHaveLength(10);

    const robots = await fetch(`${server.url}/robots.txt`);
    expect(robots.status).toBe(200);
    expect(robots.headers.get('content-type')).toContain('text/plain');
    const text = await robots.text();
    expect(text).toContain(`Sitemap: ${server.url}/sitemap.xml`);
    expect(text).toContain('Disallow: /api/');
  });

  it('shows an edited title on the next request', async () => {
    await server.database.primary.update(courses).set({ title: 'Renamed course' }).where(eq(courses.id, evilId));
    const page = headOf(await (await fetch(`${server.url}/courses/${EVIL_SLUG}`)).text());
    expect(page.title).toBe('Renamed course | Lectio');
    await server.database.primary.update(courses).set({ title: EVIL_TITLE }).where(eq(courses.id, evilId));
  });
});
