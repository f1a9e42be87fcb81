import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lessons } from '../src/modules/catalog/schema.js';
import { playbackSessions } from '../src/modules/playback/schema.js';
import type { PlaybackGrant } from '../src/modules/playback/service.js';
import { signedMediaPath } from '../src/modules/playback/token.js';
import type { LocalStorage } from '../src/platform/storage/local.js';
import { ApiClient, errorCode } from './support/accounts.js';
import { json, signedInAs } from './support/catalog.js';
import { insertCourse, insertReadyVideo, type FixtureCourse } from './support/course-fixtures.js';
import { serverBackends } from './support/databases.js';
import { startTestServer, type TestServer } from './support/servers.js';
import { localStoreOf } from './support/video-pipeline.js';

/** Known to the test, so it can sign what the server would (an expired URL) and what it would not. */
const SIGNING_KEY = 'playback-test-key-0123456789abcdef';
const TTL_SECONDS = 600;

/** What the API answers, as JSON. */
type Grant = PlaybackGrant;
type Client = ApiClient & { userId: string };

const FILES: Record<string, Buffer> = {
  'master.m3u8': Buffer.from('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1500000,RESOLUTION=1280x720\n720p/index.m3u8\n'),
  '720p/index.m3u8': Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nseg_00000.ts\n#EXT-X-ENDLIST\n'),
  '720p/seg_00000.ts': randomBytes(188 * 40),
  'poster.jpg': randomBytes(600),
  'storyboard.vtt': Buffer.from('WEBVTT\n\n00:00.000 --> 00:06.000\nstoryboard.jpg#xywh=0,0,160,90\n'),
};

const SRT = [
  '1',
  '00:00:01,000 --> 00:00:02,500',
  '<i>안녕하세요</i>, welcome & hello',
  '',
  '2',
  '00:00:03,000 --> 00:00:04,000',
  '{\\an8}Second cue',
  '',
].join('\r\n');

/** `/media/p/<exp>.<uid>.<sig>/videos/<id>/<rest>` → its parts, to alter one at a time. */
function tokenParts(url: string) {
  const u = new URL(url);
  const [, , , token, ...rest] = u.pathname.split('/');
  const [exp, uid, sig] = token!.split('.') as [string, string, string];
  const rebuild = (t: { exp?: string; uid?: string; sig?: string; rest?: string }) =>
    `${u.origin}/media/p/${t.exp ?? exp}.${t.uid ?? uid}.${t.sig ?? sig}/${t.rest ?? rest.join('/')}`;
  return { exp, uid, sig, rest: rest.join('/'), rebuild, origin: u.origin };
}

describe.each(serverBackends())('playback grants, signed media and captions [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let store: LocalStorage;
  let ipCounter = 0;
  const ip = () => `10.46.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;
  const anonymous = () => new ApiClient(server.url, ip());
  let instructor: Client;
  let student: Client;
  let course: FixtureCourse;
  let video: { id: string; version: string };
  let otherVideo: { id: string; version: string };

  const grant = (client: ApiClient, lessonId: string, body: { sessionId?: string } = {}) =>
    client.call('POST', `/lessons/${lessonId}/playback`, body);
  const enrolledStudent = async () => {
    const client = await signedInAs(server, 'student', ip());
    expect((await client.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    return client;
  };
  const sessionRow = async (id: string) =>
    (await server.database.primary.select().from(playbackSessions).where(eq(playbackSessions.id, id)))[0];

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({
      ...s.env,
      SEED_DEMO_DATA: 'false',
      PLAYBACK_SIGNING_KEY: SIGNING_KEY,
      PLAYBACK_TOKEN_TTL_SECONDS: String(TTL_SECONDS),
    });
    store = localStoreOf(server.dataDir);
    [instructor, student] = await Promise.all([
      signedInAs(server, 'instructor', ip()),
      signedInAs(server, 'student', ip()),
    ]);
    const db = server.database.primary;
    course = await insertCourse(db, { instructorId: instructor.userId });
    video = await insertReadyVideo(db, instructor.userId, { durationSeconds: 61.6 });
    otherVideo = await insertReadyVideo(db, instructor.userId);
    for (const v of [video, otherVideo]) {
      for (const [file, bytes] of Object.entries(FILES)) {
        await store.putObject('videos-processed', `${v.id}/${v.version}/${file}`, bytes);
      }
    }
    // Both fixture lessons show the video: the first is a free preview, the second is not.
    for (const id of [course.previewLessonId, course.paidLessonId]) {
      await db.update(lessons).set({ type: 'video', videoId: video.id }).where(eq(lessons.id, id));
    }
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('refuses a grant to whoever is not enrolled, and grants a free preview to anyone', async () => {
    const refused = await grant(student, course.paidLessonId);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('not_enrolled');
    expect((await grant(anonymous(), course.paidLessonId)).status).toBe(401);
    expect(await errorCode(await grant(student, randomUUID()))).toBe('lesson_not_found');

    const res = await grant(anonymous(), course.previewLessonId);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const preview = await json<Grant>(res);
    expect(preview).toMatchObject({ sessionId: null, lessonId: course.previewLessonId, videoId: video.id });
    expect(tokenParts(preview.hlsUrl).uid).toBe('anonymous');
    expect((await fetch(preview.hlsUrl)).status).toBe(200);

    // A lesson whose video is not published yet has nothing to grant.
    const processing = await insertReadyVideo(server.database.primary, instructor.userId, { status: 'processing' });
    const lesson = await insertCourse(server.database.primary, { instructorId: instructor.userId });
    await server.database.primary
      .update(lessons)
      .set({ type: 'video', videoId: processing.id })
      .where(eq(lessons.id, lesson.previewLessonId));
    const notReady = await grant(anonymous(), lesson.previewLessonId);
    expect(notReady.status).toBe(409);
    expect(await errorCode(notReady)).toBe('video_not_ready');
  });

  it('gives an enrolled student a grant whose every URL plays, captions included (SRT converted)', async () => {
    // The instructor adds Korean captions as SRT; the studio lists them converted.
    const uploaded = await instructor.call('POST', `/studio/videos/${video.id}/captions`, {
      language: 'ko',
      label: '한국어',
      content: SRT,
    });
    expect(uploaded.status).toBe(201);
    expect(await json(uploaded)).toMatchObject({ language: 'ko', sourceFormat: 'srt', cueCount: 2 });

    const learner = await enrolledStudent();
    const before = Date.now();
    const res = await grant(learner, course.paidLessonId);
    expect(res.status).toBe(200);
    const g = await json<Grant>(res);
    expect(g).toMatchObject({ lessonId: course.paidLessonId, courseId: course.id, videoId: video.id });
    expect(g.durationSeconds).toBeCloseTo(61.6);
    expect(g.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const lifetime = Date.parse(g.expiresAt) - before;
    expect(lifetime).toBeGreaterThan((TTL_SECONDS - 5) * 1000);
    expect(lifetime).toBeLessThanOrEqual((TTL_SECONDS + 5) * 1000);
    const renewIn = Date.parse(g.renewAt) - before;
    expect(renewIn / (TTL_SECONDS * 1000)).toBeCloseTo(0.6, 1);
    for (const url of [g.hlsUrl, g.posterUrl!, g.storyboardUrl!, ...g.captions.map((c) => c.url)]) {
      expect(url.startsWith(`${server.url}/media/p/`), url).toBe(true);
      expect(tokenParts(url).uid).toBe(learner.userId);
    }

    // Every file, as a player fetches it: no header, the signature in the path; relative URLs in
    // the playlists carry it on.
    const master = await fetch(g.hlsUrl);
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(master.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(master.headers.get('access-control-allow-origin')).toBe('*');
    const variantUrl = new URL('720p/index.m3u8', g.hlsUrl);
    expect((await master.text()).split('\n')).toContain('720p/index.m3u8');
    const variant = await fetch(variantUrl);
    expect(variant.status).toBe(200);
    expect(variant.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const segmentUrl = new URL('seg_00000.ts', variantUrl);
    const segment = await fetch(segmentUrl);
    expect(segment.status).toBe(200);
    expect(segment.headers.get('content-type')).toBe('video/mp2t');
    expect(Buffer.from(await segment.arrayBuffer())).toEqual(FILES['720p/seg_00000.ts']);
    const poster = await fetch(g.posterUrl!);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await poster.arrayBuffer())).toEqual(FILES['poster.jpg']);
    const storyboard = await fetch(g.storyboardUrl!);
    expect(storyboard.headers.get('content-type')).toBe('text/vtt; charset=utf-8');

    expect(g.captions).toHaveLength(1);
    expect(g.captions[0]).toMatchObject({ language: 'ko', label: '한국어' });
    const caption = await fetch(g.captions[0]!.url);
    expect(caption.status).toBe(200);
    expect(caption.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
    const vtt = await caption.text();
    expect(vtt.startsWith('WEBVTT\n')).toBe(true);
    expect(vtt).toContain('00:00:01.000 --> 00:00:02.500\n<i>안녕하세요</i>, welcome &amp; hello\n');
    expect(vtt).toContain('00:00:03.000 --> 00:00:04.000\nSecond cue\n');

    // HEAD, and a revalidation answered from the ETag.
    const head = await fetch(segmentUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(FILES['720p/seg_00000.ts']!.length));
    expect(head.headers.get('last-modified')).toBeTruthy();
    const etag = head.headers.get('etag')!;
    expect((await fetch(segmentUrl, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // A file that is not there under a valid signature.
    const missing = await fetch(new URL('seg_00009.ts', variantUrl));
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe('not_found');

    // A replacement for the language is a new file: the old URL stops working, the new grant lists the new one.
    const replaced = await instructor.call('POST', `/studio/videos/${video.id}/captions`, {
      language: 'ko',
      label: '한국어 (수정)',
      content: 'WEBVTT\n\n00:00:05.000 --> 00:00:06.000\n고친 자막\n',
    });
    expect(replaced.status).toBe(201);
    expect((await fetch(g.captions[0]!.url)).status).toBe(404);
    const renewed = await json<Grant>(await grant(learner, course.paidLessonId, { sessionId: g.sessionId! }));
    expect(renewed.sessionId).toBe(g.sessionId);
    expect(renewed.captions.map((c) => c.label)).toEqual(['한국어 (수정)']);
    expect(await (await fetch(renewed.captions[0]!.url)).text()).toContain('고친 자막');
    const listed = await json<{ items: { id: string }[] }>(
      await instructor.call('GET', `/studio/videos/${video.id}/captions`),
    );
    expect(listed.items.map((c) => c.id)).toEqual(renewed.captions.map((c) => c.id));
  });

  it('answers 403 to a forged, altered or expired signature, and a grant for one video opens no other', async () => {
    const learner = await enrolledStudent();
    const g = await json<Grant>(await grant(learner, course.paidLessonId));
    const master = tokenParts(g.hlsUrl);
    const segmentRest = master.rest.replace('master.m3u8', '720p/seg_00000.ts');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const now = Math.floor(Date.now() / 1000);

    const refusals: [string, string, 'playback_token_invalid' | 'playback_token_expired'][] = [];
    for (const rest of [master.rest, segmentRest]) {
      const file = rest.slice(`videos/${video.id}/`.length);
      const signed = (claims: { expiresAt: number; uid: string }, key = SIGNING_KEY) =>
        `${master.origin}${signedMediaPath(key, { videoId: video.id, ...claims }, file)}`;
      const otherVideosFile = rest.replace(video.id, otherVideo.id).replace(video.version, otherVideo.version);
      refusals.push(
        [`altered signature of ${file}`, master.rebuild({ sig: flip(master.sig), rest }), 'playback_token_invalid'],
        [
          `another user in the token of ${file}`,
          master.rebuild({ uid: student.userId, rest }),
          'playback_token_invalid',
        ],
        [
          `a later expiry for ${file}`,
          master.rebuild({ exp: String(Number(master.exp) + 3600), rest }),
          'playback_token_invalid',
        ],
        [
          `${file} signed with another key`,
          signed({ expiresAt: now + 600, uid: learner.userId }, 'not-the-servers-key'),
          'playback_token_invalid',
        ],
        [`${file} past its expiry`, signed({ expiresAt: now - 1, uid: learner.userId }), 'playback_token_expired'],
        // The learner's token on the other video's files, which exist.
        [`the other video's ${file}`, master.rebuild({ rest: otherVideosFile }), 'playback_token_invalid'],
      );
    }
    for (const [what, url, code] of refusals) {
      const res = await fetch(url);
      expect(res.status, `${what}: ${url}`).toBe(403);
      expect(await errorCode(res)).toBe(code);
    }
    // The same crafted paths, signed right and unexpired, do play: the refusals are the signature's.
    const claims = { videoId: otherVideo.id, expiresAt: now + 600, uid: learner.userId };
    const valid = `${master.origin}${signedMediaPath(SIGNING_KEY, claims, `${otherVideo.version}/720p/seg_00000.ts`)}`;
    expect((await fetch(valid)).status).toBe(200);
    expect((await fetch(`${server.url}/media/p/garbage/videos/${video.id}/x.ts`)).status).toBe(403);
  });

  it('serves a classroom behind one address past the API rate limit: media is not under it', async () => {
    const learner = await enrolledStudent();
    const g = await json<Grant>(await grant(learner, course.paidLessonId));
    const segment = g.hlsUrl.replace('master.m3u8', '720p/seg_00000.ts');
    // More requests than RATE_LIMIT_MAX (default 600) from one IP within its window.
    const statuses: number[] = [];
    for (let batch = 0; batch < 13; batch++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => fetch(segment, { method: 'HEAD' })));
      statuses.push(...answers.map((r) => r.status));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('ends the oldest of three sessions; its renewal is refused and the cache says why', async () => {
    const learner = await enrolledStudent();
    const sessions: string[] = [];
    for (let i = 0; i < 3; i++) {
      const g = await json<Grant>(await grant(learner, course.paidLessonId));
      sessions.push(g.sessionId!);
    }
    const [oldest, second, third] = sessions as [string, string, string];
    expect(await sessionRow(oldest)).toMatchObject({ endReason: 'superseded' });
    expect((await sessionRow(oldest))?.endedAt).not.toBeNull();
    expect(await server.services.playback.sessionEndReason(oldest)).toBe('superseded');
    expect(await server.services.playback.sessionEndReason(second)).toBeUndefined();

    const refused = await grant(learner, course.paidLessonId, { sessionId: oldest });
    expect(refused.status).toBe(409);
    expect(await errorCode(refused)).toBe('playback_session_ended');
    // Renewing an open session keeps it, and pushes no one out.
    const renewed = await json<Grant>(await grant(learner, course.paidLessonId, { sessionId: second }));
    expect(renewed.sessionId).toBe(second);
    expect((await sessionRow(third))?.endedAt).toBeNull();
    // Someone else's session is not the caller's to renew.
    const other = await enrolledStudent();
    const foreign = await grant(other, course.paidLessonId, { sessionId: second });
    expect(foreign.status).toBe(404);
    expect(await errorCode(foreign)).toBe('playback_session_not_found');
  });

  it('leaves exactly two sessions running after ten grants at once by one student', async () => {
    const learner = await enrolledStudent();
    const grants = await Promise.all(
      Array.from({ length: 10 }, () => grant(learner, course.paidLessonId).then((r) => json<Grant>(r))),
    );
    const rows = await server.database.primary
      .select()
      .from(playbackSessions)
      .where(eq(playbackSessions.userId, learner.userId));
    expect(rows).toHaveLength(10);
    expect(new Set(grants.map((g) => g.sessionId)).size).toBe(10);
    const running = rows.filter((r) => r.endedAt === null);
    expect(running).toHaveLength(2);
    expect(rows.filter((r) => r.endReason === 'superseded')).toHaveLength(8);
  });

  it('stops grants and renewals at once when the enrollment is revoked, ending the sessions', async () => {
    const learner = await enrolledStudent();
    const g = await json<Grant>(await grant(learner, course.paidLessonId));
    expect(await server.services.enrollments.revoke(learner.userId, course.id, 'refunded')).toBe(true);

    expect(await sessionRow(g.sessionId!)).toMatchObject({ endReason: 'access_revoked' });
    expect(await server.services.playback.sessionEndReason(g.sessionId!)).toBe('access_revoked');
    const renewal = await grant(learner, course.paidLessonId, { sessionId: g.sessionId! });
    expect(renewal.status).toBe(403);
    expect(await errorCode(renewal)).toBe('not_enrolled');
    const fresh = await grant(learner, course.paidLessonId);
    expect(fresh.status).toBe(403);
    expect(await errorCode(fresh)).toBe('not_enrolled');
    const open = await server.database.primary
      .select()
      .from(playbackSessions)
      .where(and(eq(playbackSessions.userId, learner.userId), eq(playbackSessions.courseId, course.id)));
    expect(open.every((s) => s.endReason === 'access_revoked')).toBe(true);
  });

  it('refuses caption files a player could not use, each with its reason', async () => {
    const upload = (body: { language: string; label: string; content: string }) =>
      instructor.call('POST', `/studio/videos/${video.id}/captions`, body);
    const cases: [string, { language: string; content: string }][] = [
      ['empty', { language: 'en', content: '  \n' }],
      ['unknown_format', { language: 'en', content: 'Just some text, no cues.' }],
      ['bad_language', { language: 'English', content: SRT }],
      ['cue_order', { language: 'en', content: 'WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nBackwards\n' }],
      ['cue_beyond_video', { language: 'en', content: 'WEBVTT\n\n00:01:00.000 --> 00:01:05.000\nToo late\n' }],
      [
        'unreadable_block',
        { language: 'en', content: '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:xx --> 1\nbad\n' },
      ],
      ['too_large', { language: 'en', content: `WEBVTT\n\n${'00:00:01.000 --> 00:00:02.000\nx\n\n'.repeat(40_000)}` }],
    ];
    for (const [reason, body] of cases) {
      const res = await upload({ label: 'English', ...body });
      expect(res.status, reason).toBe(422);
      const error = (await res.json()) as { error: { code: string; details: { reason: string } } };
      expect(error.error.code).toBe('caption_invalid');
      expect(error.error.details.reason).toBe(reason);
    }
    // Another instructor's video does not exist for them; a student may not manage captions at all.
    const stranger = await signedInAs(server, 'instructor', ip());
    expect((await stranger.call('GET', `/studio/videos/${video.id}/captions`)).status).toBe(404);
    expect((await student.call('GET', `/studio/videos/${video.id}/captions`)).status).toBe(403);
  });

  it('deletes a caption: the next grant no longer lists it and its file is gone', async () => {
    const created = await json<{ id: string }>(
      await instructor.call('POST', `/studio/videos/${otherVideo.id}/captions`, {
        language: 'en',
        label: 'English',
        content: 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n',
      }),
    );
    const key = `${otherVideo.id}/captions/${created.id}.vtt`;
    expect(await store.headObject('videos-processed', key)).toBeDefined();
    expect((await instructor.call('DELETE', `/studio/videos/${otherVideo.id}/captions/${created.id}`)).status).toBe(
      204,
    );
    expect(await store.headObject('videos-processed', key)).toBeUndefined();
    const again = await instructor.call('DELETE', `/studio/videos/${otherVideo.id}/captions/${created.id}`);
    expect(await errorCode(again)).toBe('caption_not_found');
  });

  it("signs the studio's preview URLs for the video's owner", async () => {
    const view = await json<{ masterUrl: string; posterUrl: string; storyboardUrl: string }>(
      await instructor.call('GET', `/studio/videos/${video.id}`),
    );
    for (const url of [view.masterUrl, view.posterUrl, view.storyboardUrl]) {
      expect(tokenParts(url).uid).toBe(instructor.userId);
      expect((await fetch(url)).status, url).toBe(200);
    }
  });
});
