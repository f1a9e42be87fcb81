import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, errorCode } from './support/accounts.js';
import { buildCourse, json, sendRaw, signedInAs, testImage, unique } from './support/catalog.js';
import { serverBackends } from './support/databases.js';
import { insertReadyVideo } from './support/course-fixtures.js';
import { startTestServer, type TestServer } from './support/servers.js';

const matrix = serverBackends();

interface StudioLesson {
  id: string;
  title: string;
  position: number;
  attachments: { id: string }[];
}
interface StudioCourse {
  id: string;
  slug: string;
  status: string;
  title: string;
  tags: string[];
  price: { amount: number; currency: string } | null;
  sections: { id: string; title: string; position: number; lessons: StudioLesson[] }[];
  checklist: { ready: boolean; items: { code: string; ok: boolean }[] };
  takedown: { reason: string; at: string } | null;
  cover: Cover | null;
}
interface Cover {
  width: number;
  height: number;
  fallback: string;
  sources: { type: string; srcset: string }[];
}

describe.each(matrix)('instructor studio [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let ipCounter = 0;
  const ip = () => `10.30.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;
  const anonymous = () => new ApiClient(server.url, ip());
  let instructor: Awaited<ReturnType<typeof signedInAs>>;
  let admin: Awaited<ReturnType<typeof signedInAs>>;
  let categoryId: string;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({ ...s.env, TRUST_PROXY: 'true' });
    instructor = await signedInAs(server, 'instructor', ip());
    admin = await signedInAs(server, 'admin', ip());
    const slug = `studio-${unique()}`;
    categoryId = (await server.services.courseAdmin.createCategory({ slug, nameKo: '데이터', nameEn: 'Data' })).id;
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('creates a draft with a Hangul slug, suffixes a taken one, and edits it', async () => {
    const title = `입문자를 위한 파이썬 ${unique()}`;
    const first = await instructor.call('POST', '/studio/courses', { title, tags: ['Python', 'python', ' 입문 '] });
    expect(first.status).toBe(201);
    const course = await json<StudioCourse>(first);
    expect(course).toMatchObject({ status: 'draft', title, tags: ['Python', '입문'], price: null, sections: [] });
    expect(course.slug).toBe(title.toLowerCase().replace(/ /g, '-'));
    const again = await json<StudioCourse>(await instructor.call('POST', '/studio/courses', { title }));
    expect(again.slug).toMatch(new RegExp(`^${course.slug}-[a-z0-9]{6}$`));

    const patched = await instructor.call('PATCH', `/studio/courses/${course.id}`, {
      subtitle: '처음 배우는 분께',
      price: { amount: 1990, currency: 'USD' },
      level: 'intermediate',
      categoryId,
    });
    expect(patched.status).toBe(200);
    expect(await json<StudioCourse>(patched)).toMatchObject({
      price: { amount: 1990, currency: 'USD' },
      slug: course.slug,
    });
    const mine = await json<{ items: { id: string }[] }>(await instructor.call('GET', '/studio/courses?pageSize=50'));
    expect(mine.items.map((i) => i.id)).toEqual(expect.arrayContaining([course.id, again.id]));
  });

  it('refuses bad input with machine-readable codes', async () => {
    const tooManyTags = await instructor.call('POST', '/studio/courses', {
      title: 'Tags',
      tags: Array.from({ length: 11 }, (_, i) => `t${i}`),
    });
    expect(tooManyTags.status).toBe(400);
    expect(await errorCode(tooManyTags)).toBe('validation_failed');
    const badCurrency = await instructor.call('POST', '/studio/courses', {
      title: 'Price',
      price: { amount: 100, currency: 'EUR' },
    });
    expect(await errorCode(badCurrency)).toBe('validation_failed');
    const negative = await instructor.call('POST', '/studio/courses', {
      title: 'Price',
      price: { amount: -1, currency: 'KRW' },
    });
    expect(await errorCode(negative)).toBe('validation_failed');
    expect(await errorCode(await instructor.call('POST', '/studio/courses', { title: '   ' }))).toBe(
      'validation_failed',
    );
    const noCategory = await instructor.call('POST', '/studio/courses', {
      title: 'Category',
      categoryId: '00000000-0000-4000-8000-000000000000',
    });
    expect(noCategory.status).toBe(422);
    expect(await errorCode(noCategory)).toBe('category_not_found');
    const badLesson = await instructor.call('POST', `/studio/sections/00000000-0000-4000-8000-000000000000/lessons`, {
      title: 'x',
      type: 'podcast',
    });
    expect(await errorCode(badLesson)).toBe('validation_failed');
  });

  it('keeps the studio to teachers and each course to its owner and admins', async () => {
    const student = await signedInAs(server, 'student', ip());
    const denied = await student.call('POST', '/studio/courses', { title: 'Mine' });
    expect(denied.status).toBe(403);
    expect(await errorCode(denied)).toBe('forbidden');
    expect((await anonymous().call('GET', '/studio/courses')).status).toBe(401);

    const course = await buildCourse(instructor, { title: `Owned ${unique()}`, categoryId });
    const other = await signedInAs(server, 'instructor', ip());
    for (const [method, path, body] of [
      ['GET', `/studio/courses/${course.id}`, undefined],
      ['PATCH', `/studio/courses/${course.id}`, { title: 'Hijacked' }],
      ['POST', `/studio/courses/${course.id}/sections`, { title: 'Hijacked' }],
      ['PATCH', `/studio/sections/${course.sectionIds[0]}`, { title: 'Hijacked' }],
      ['DELETE', `/studio/lessons/${course.lessonIds[0]}`, undefined],
      ['POST', `/studio/courses/${course.id}/publish`, undefined],
    ] as const) {
      expect((await other.call(method, path, body)).status, `${method} ${path}`).toBe(404);
    }
    const adminView = await admin.call('PATCH', `/studio/courses/${course.id}`, { subtitle: 'Fixed by an admin' });
    expect(adminView.status).toBe(200);
    const owner = await json<StudioCourse>(await instructor.call('GET', `/studio/courses/${course.id}`));
    expect(owner.title).not.toBe('Hijacked');
    expect(owner.sections).toHaveLength(1);
  });

  it('builds and reorders the curriculum in one call, and refuses an order that does not match', async () => {
    const course = await buildCourse(
      instructor,
      { title: `Curriculum ${unique()}`, categoryId },
      { sections: 2, lessons: 2 },
    );
    const [s1, s2] = course.sectionIds as [string, string];
    const [l11, l12, l21, l22] = course.lessonIds as [string, string, string, string];

    // Section 2 first; lesson 1.1 moves into it at the end; section 1 keeps 1.2.
    const reordered = await instructor.call('PUT', `/studio/courses/${course.id}/curriculum`, {
      sections: [
        { id: s2, lessonIds: [l22, l21, l11] },
        { id: s1, lessonIds: [l12] },
      ],
    });
    expect(reordered.status).toBe(200);
    const { sections } = await json<{ sections: StudioCourse['sections'] }>(reordered);
    expect(sections.map((s) => [s.id, s.position, s.lessons.map((l) => [l.id, l.position])])).toEqual([
      [
        s2,
        0,
        [
          [l22, 0],
          [l21, 1],
          [l11, 2],
        ],
      ],
      [s1, 1, [[l12, 0]]],
    ]);

    const missing = await instructor.call('PUT', `/studio/courses/${course.id}/curriculum`, {
      sections: [{ id: s2, lessonIds: [l22, l21, l11, l11] }],
    });
    expect(missing.status).toBe(422);
    const problem = await json<{ error: { code: string; details: Record<string, string[]> } }>(missing);
    expect(problem.error.code).toBe('curriculum_mismatch');
    expect(problem.error.details).toEqual({ missingSections: [s1], missingLessons: [l12], duplicateLessons: [l11] });
    const foreign = await buildCourse(instructor, { title: `Foreign ${unique()}`, categoryId });
    const stolen = await instructor.call('PUT', `/studio/courses/${course.id}/curriculum`, {
      sections: [
        { id: s2, lessonIds: [l22, l21, l11, foreign.lessonIds[0]!] },
        { id: s1, lessonIds: [l12] },
      ],
    });
    expect(await json(stolen)).toMatchObject({
      error: { code: 'curriculum_mismatch', details: { unknownLessons: [foreign.lessonIds[0]] } },
    });
    // Nothing of a refused order was applied.
    const unchanged = await json<StudioCourse>(await instructor.call('GET', `/studio/courses/${course.id}`));
    expect(unchanged.sections.map((s) => s.lessons.map((l) => l.id))).toEqual([[l22, l21, l11], [l12]]);

    // Editing and deleting keep positions dense.
    expect(
      (await instructor.call('PATCH', `/studio/lessons/${l21}`, { title: 'Renamed', durationSeconds: 600 })).status,
    ).toBe(200);
    expect((await instructor.call('DELETE', `/studio/lessons/${l22}`)).status).toBe(204);
    expect((await instructor.call('PATCH', `/studio/sections/${s1}`, { title: 'Basics' })).status).toBe(200);
    const edited = await json<StudioCourse>(await instructor.call('GET', `/studio/courses/${course.id}`));
    expect(edited.sections.map((s) => [s.title, s.position, s.lessons.map((l) => [l.title, l.position])])).toEqual([
      [
        'Section 2',
        0,
        [
          ['Renamed', 0],
          ['Lesson 1.1', 1],
        ],
      ],
      ['Basics', 1, [['Lesson 1.2', 0]]],
    ]);
    expect((await instructor.call('DELETE', `/studio/sections/${s2}`)).status).toBe(204);
    const left = await json<StudioCourse>(await instructor.call('GET', `/studio/courses/${course.id}`));
    expect(left.sections.map((s) => [s.title, s.position, s.lessons.length])).toEqual([['Basics', 0, 1]]);
  });

  it('publishes only when the checklist passes, naming what is missing', async () => {
    const created = await json<StudioCourse>(
      await instructor.call('POST', '/studio/courses', { title: `Checklist ${unique()}` }),
    );
    const refused = await instructor.call('POST', `/studio/courses/${created.id}/publish`);
    expect(refused.status).toBe(422);
    const body = await json<{ error: { code: string; details: { failed: string[] } } }>(refused);
    expect(body.error.code).toBe('publish_checklist_failed');
    expect(body.error.details.failed.sort()).toEqual(['category_set', 'cover_set', 'has_lesson', 'price_set']);

    await instructor.call('PATCH', `/studio/courses/${created.id}`, {
      categoryId,
      price: { amount: 39000, currency: 'KRW' },
    });
    const section = await json<{ id: string }>(
      await instructor.call('POST', `/studio/courses/${created.id}/sections`, { title: 'One' }),
    );
    const videoLesson = await json<{ id: string }>(
      await instructor.call('POST', `/studio/sections/${section.id}/lessons`, {
        title: 'Video',
        type: 'video',
        durationSeconds: 300,
      }),
    );
    const checklist = await json<{ ready: boolean; items: { code: string; ok: boolean }[] }>(
      await instructor.call('GET', `/studio/courses/${created.id}/checklist`),
    );
    expect(checklist.ready).toBe(false);
    expect(checklist.items.filter((i) => !i.ok).map((i) => i.code)).toEqual(['cover_set', 'videos_ready']);

    // The video lesson needs one of the instructor's videos, and a ready one, before publishing.
    const db = server.database.primary;
    const someoneElses = await insertReadyVideo(db, admin.userId);
    const foreign = await instructor.call('PATCH', `/studio/lessons/${videoLesson.id}`, { videoId: someoneElses.id });
    expect(foreign.status).toBe(404);
    expect(await errorCode(foreign)).toBe('video_not_found');
    const processing = await insertReadyVideo(db, instructor.userId, { status: 'processing' });
    await instructor.call('PATCH', `/studio/lessons/${videoLesson.id}`, { videoId: processing.id });
    const stillWaiting = await json<{ items: { code: string; ok: boolean }[] }>(
      await instructor.call('GET', `/studio/courses/${created.id}/checklist`),
    );
    expect(stillWaiting.items.filter((i) => !i.ok).map((i) => i.code)).toEqual(['cover_set', 'videos_ready']);
    const ready = await insertReadyVideo(db, instructor.userId, { durationSeconds: 61.6 });
    const linked = await instructor.call('PATCH', `/studio/lessons/${videoLesson.id}`, { videoId: ready.id });
    expect(await json(linked)).toMatchObject({ videoId: ready.id, durationSeconds: 62 });

    await sendRaw(
      instructor,
      'PUT',
      `/studio/courses/${created.id}/cover`,
      await testImage(1920, 1080, 'png'),
      'image/png',
    );
    const published = await instructor.call('POST', `/studio/courses/${created.id}/publish`);
    expect(published.status).toBe(200);
    expect(await json(published)).toMatchObject({ status: 'published', checklist: { ready: true } });
    expect((await anonymous().call('GET', `/courses/${encodeURIComponent(created.slug)}`)).status).toBe(200);

    // A published course keeps at least one lesson.
    const last = await instructor.call('DELETE', `/studio/sections/${section.id}`);
    expect(last.status).toBe(409);
    expect(await errorCode(last)).toBe('published_course_needs_lesson');

    expect(
      (await json<StudioCourse>(await instructor.call('POST', `/studio/courses/${created.id}/archive`))).status,
    ).toBe('archived');
    expect((await anonymous().call('GET', `/courses/${encodeURIComponent(created.slug)}`)).status).toBe(404);
  });

  it('turns an uploaded image into 16:9 WebP and JPEG renditions no wider than the upload', async () => {
    const course = await buildCourse(instructor, { title: `Cover ${unique()}`, categoryId });
    const res = await sendRaw(
      instructor,
      'PUT',
      `/studio/courses/${course.id}/cover`,
      await testImage(1000, 800, 'webp'),
      'image/webp',
    );
    expect(res.status).toBe(200);
    const cover = await json<Cover>(res);
    expect(cover).toMatchObject({ width: 960, height: 540 });
    expect(cover.sources.map((s) => s.type)).toEqual(['image/webp', 'image/jpeg']);
    for (const source of cover.sources) {
      const candidates = source.srcset.split(', ').map((c) => c.split(' ') as [string, string]);
      expect(candidates.map(([, w]) => w)).toEqual(['320w', '640w', '960w']);
      for (const [url, w] of candidates) {
        const file = await fetch(url);
        expect(file.status).toBe(200);
        expect(file.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(file.headers.get('content-type')).toBe(source.type);
        const meta = await sharp(Buffer.from(await file.arrayBuffer())).metadata();
        const width = Number.parseInt(w, 10);
        expect(meta.format).toBe(source.type === 'image/webp' ? 'webp' : 'jpeg');
        expect([meta.width, meta.height]).toEqual([width, (width * 9) / 16]);
      }
    }
    expect(cover.fallback).toMatch(/\/640\.jpg$/);

    // A new upload gets new URLs (so caches never serve the old one) and the old files go.
    const big = await json<Cover>(
      await sendRaw(instructor, 'PUT', `/studio/courses/${course.id}/cover`, await testImage(2400, 1350), 'image/jpeg'),
    );
    expect(big.width).toBe(1280);
    expect(big.sources[0]!.srcset.split(', ')).toHaveLength(4);
    expect(big.fallback).not.toBe(cover.fallback);
    expect((await fetch(cover.fallback)).status).toBe(404);
    expect((await fetch(big.fallback)).status).toBe(200);
    expect((await json<StudioCourse>(await instructor.call('GET', `/studio/courses/${course.id}`))).cover).toEqual(big);
  });

  it('refuses covers that are too small, not images, or too large', async () => {
    const course = await buildCourse(instructor, { title: `Bad cover ${unique()}`, categoryId });
    const path = `/studio/courses/${course.id}/cover`;
    const small = await sendRaw(instructor, 'PUT', path, await testImage(600, 400), 'image/jpeg');
    expect(small.status).toBe(422);
    expect(await errorCode(small)).toBe('image_too_small');
    const flat = await sendRaw(instructor, 'PUT', path, await testImage(1600, 300), 'image/jpeg');
    expect(await errorCode(flat)).toBe('image_too_small');
    const garbage = await sendRaw(instructor, 'PUT', path, Buffer.from('definitely not a png'), 'image/png');
    expect(garbage.status).toBe(422);
    expect(await errorCode(garbage)).toBe('invalid_image');
    const truncated = (await testImage(1280, 720, 'png')).subarray(0, 2000);
    expect(await errorCode(await sendRaw(instructor, 'PUT', path, truncated, 'image/png'))).toBe('invalid_image');
    const gif = await sendRaw(
      instructor,
      'PUT',
      path,
      await sharp({ create: { width: 800, height: 450, channels: 3, background: '#888' } })
        .gif()
        .toBuffer(),
      'image/jpeg',
    );
    expect(gif.status).toBe(415);
    expect(await errorCode(gif)).toBe('unsupported_image_type');
    const text = await sendRaw(instructor, 'PUT', path, Buffer.from('hello'), 'text/plain');
    expect(text.status).toBe(415);
    const huge = await sendRaw(instructor, 'PUT', path, Buffer.alloc(10 * 1024 * 1024 + 1), 'image/jpeg');
    expect(huge.status).toBe(413);
    expect(await errorCode(huge)).toBe('payload_too_large');
    expect((await json<StudioCourse>(await instructor.call('GET', `/studio/courses/${course.id}`))).cover).toBeNull();
  });

  it('stores, lists and deletes lesson attachments, refusing bad names, empty and oversize files', async () => {
    const course = await buildCourse(instructor, { title: `Attach ${unique()}`, categoryId }, { publish: true });
    const lessonId = course.lessonIds[0]!;
    const path = (name: string) => `/studio/lessons/${lessonId}/attachments?fileName=${encodeURIComponent(name)}`;
    const created = await sendRaw(instructor, 'POST', path('notes.txt'), Buffer.from('hello'), 'text/plain');
    expect(created.status).toBe(201);
    const { id } = await json<{ id: string }>(created);
    const studio = await json<StudioCourse>(await instructor.call('GET', `/studio/courses/${course.id}`));
    expect(studio.sections[0]!.lessons[0]!.attachments.map((a) => a.id)).toEqual([id]);

    expect(
      await errorCode(await sendRaw(instructor, 'POST', path('../etc/passwd'), Buffer.from('x'), 'text/plain')),
    ).toBe('invalid_file_name');
    expect(await errorCode(await sendRaw(instructor, 'POST', path('empty.txt'), Buffer.alloc(0), 'text/plain'))).toBe(
      'empty_file',
    );
    const other = await signedInAs(server, 'instructor', ip());
    expect((await sendRaw(other, 'POST', path('x.txt'), Buffer.from('x'), 'text/plain')).status).toBe(404);
    expect((await other.call('DELETE', `/studio/attachments/${id}`)).status).toBe(404);

    const tooBig = await sendRaw(
      instructor,
      'POST',
      path('big.bin'),
      Buffer.alloc(100 * 1024 * 1024 + 1),
      'application/octet-stream',
    );
    expect(tooBig.status).toBe(413);
    expect(await errorCode(tooBig)).toBe('payload_too_large');

    // Without a Content-Length (chunked), the limit is enforced while the file streams to storage.
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 100) controller.close();
        else {
          sent += 1;
          controller.enqueue(chunk);
        }
      },
    });
    const chunked = await fetch(`${server.url}/api/v1${path('stream.bin')}`, {
      method: 'POST',
      headers: {
        'x-forwarded-for': instructor.ip,
        authorization: `Bearer ${instructor.accessToken}`,
        'content-type': 'application/octet-stream',
      },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await errorCode(chunked)).toBe('payload_too_large');
    const listed = await json<StudioCourse>(await instructor.call('GET', `/studio/courses/${course.id}`));
    expect(listed.sections[0]!.lessons[0]!.attachments.map((a) => a.id)).toEqual([id]);

    expect((await instructor.call('DELETE', `/studio/attachments/${id}`)).status).toBe(204);
    const gone = await instructor.call('GET', `/lessons/${lessonId}/attachments/${id}/download`);
    expect(gone.status).toBe(404);
    const after = await json<StudioCourse>(await instructor.call('GET', `/studio/courses/${course.id}`));
    expect(after.sections[0]!.lessons[0]!.attachments).toEqual([]);
  });

  it('lets an admin take a course down with a reason the instructor sees, and restore it', async () => {
    const course = await buildCourse(instructor, { title: `Takedown ${unique()}`, categoryId }, { publish: true });
    const page = `/courses/${encodeURIComponent(course.slug)}`;
    expect((await anonymous().call('GET', page)).status).toBe(200);

    const listed = await json<{ items: { id: string; status: string }[] }>(
      await admin.call('GET', `/admin/courses?q=${encodeURIComponent(course.slug)}`),
    );
    expect(listed.items).toEqual([expect.objectContaining({ id: course.id, status: 'published' })]);
    expect((await instructor.call('GET', '/admin/courses')).status).toBe(403);
    expect((await instructor.call('POST', `/admin/courses/${course.id}/takedown`, { reason: 'x' })).status).toBe(403);

    const student = await signedInAs(server, 'student', ip());
    expect((await student.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    const lesson = `/lessons/${course.lessonIds[0]}`;
    expect((await student.call('GET', lesson)).status).toBe(200);

    const down = await admin.call('POST', `/admin/courses/${course.id}/takedown`, { reason: '저작권 침해 신고' });
    expect(down.status).toBe(200);
    expect(await json(down)).toMatchObject({ status: 'draft', takedown: { reason: '저작권 침해 신고' } });
    expect((await anonymous().call('GET', page)).status).toBe(404);
    const studio = await json<StudioCourse>(await instructor.call('GET', `/studio/courses/${course.id}`));
    expect(studio.takedown?.reason).toBe('저작권 침해 신고');
    const republish = await instructor.call('POST', `/studio/courses/${course.id}/publish`);
    expect(republish.status).toBe(409);
    expect(await errorCode(republish)).toBe('course_taken_down');
    // Taken down means closed, to enrolled students too; its instructor still sees it.
    expect((await student.call('GET', lesson)).status).toBe(404);
    expect((await instructor.call('GET', lesson)).status).toBe(200);

    const restored = await admin.call('POST', `/admin/courses/${course.id}/restore`);
    expect(await json(restored)).toMatchObject({ status: 'published', takedown: null });
    expect((await anonymous().call('GET', page)).status).toBe(200);
    expect((await student.call('GET', lesson)).status).toBe(200);
    expect(await errorCode(await admin.call('POST', `/admin/courses/${course.id}/restore`))).toBe('not_taken_down');
  });
});
