import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { lessons } from '../src/modules/catalog/schema.js';
import { VideoRepository } from '../src/modules/videos/repository.js';
import { VideoUploadService } from '../src/modules/videos/upload-service.js';
import { createStorage } from '../src/platform/storage/factory.js';
import type { StoragePort } from '../src/platform/storage/port.js';
import { ApiClient, errorCode } from './support/accounts.js';
import { json, signedInAs, unique } from './support/catalog.js';
import { insertCourse, insertReadyVideo } from './support/course-fixtures.js';
import { serverBackends } from './support/databases.js';
import { startS3rver, S3RVER_CREDENTIALS, type RunningS3rver } from './support/s3rver.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

const MiB = 1024 * 1024;
/** Small limits, so each one is reached with a few megabytes. */
const LIMITS_ENV = {
  VIDEO_MAX_UPLOAD_GB: String(40 / 1024), // 40 MiB
  VIDEO_MAX_OPEN_UPLOADS: '2',
  VIDEO_MAX_PER_INSTRUCTOR: '3',
  VIDEO_QUOTA_GB_PER_INSTRUCTOR: String(60 / 1024), // 60 MiB
  TRUST_PROXY: 'true',
  SEED_DEMO_DATA: 'false',
};

interface StudioVideo {
  id: string;
  status: string;
  sizeBytes: number;
  originalFilename: string;
  masterUrl: string | null;
  failureCode: string | null;
}
interface UploadState {
  uploadId: string;
  partSize: number;
  partCount: number;
  parts: { partNumber: number; etag: string; size: number }[];
}
interface Started {
  video: StudioVideo;
  upload: UploadState;
}
type Client = ApiClient & { userId: string };

/** A picked file as the studio sees it: the bytes and the fingerprint of name, size and date. */
function pickedFile(size: number, name = `lecture-${unique()}.mp4`) {
  const bytes = randomBytes(size);
  return { bytes, name, fingerprint: `${name}:${size}:${Date.now()}:${unique()}` };
}

async function start(client: Client, file: ReturnType<typeof pickedFile>): Promise<Response> {
  return client.call('POST', '/studio/videos/uploads', {
    filename: file.name,
    size: file.bytes.length,
    contentType: 'video/mp4',
    fingerprint: file.fingerprint,
  });
}

/** What the browser does for each part: ask for its URL, PUT the bytes there, report the ETag. */
async function sendParts(client: Client, video: string, upload: UploadState, bytes: Buffer, partNumbers: number[]) {
  const res = await client.call('POST', `/studio/videos/${video}/upload/part-urls`, { partNumbers });
  expect(res.status).toBe(200);
  const { urls } = await json<{ urls: { partNumber: number; url: string; expiresAt: string }[] }>(res);
  expect(urls.map((u) => u.partNumber)).toEqual(partNumbers);
  for (const { partNumber, url } of urls) {
    const part = bytes.subarray((partNumber - 1) * upload.partSize, partNumber * upload.partSize);
    const put = await fetch(url, { method: 'PUT', body: new Uint8Array(part) });
    expect(put.status, await put.clone().text()).toBe(200);
    const etag = put.headers.get('etag');
    expect(etag).toBeTruthy();
    const recorded = await client.call('POST', `/studio/videos/${video}/upload/parts`, {
      partNumber,
      etag,
      size: part.length,
    });
    expect(recorded.status).toBe(204);
  }
  return urls;
}

async function readAll(storage: StoragePort, bucket: 'videos-raw' | 'videos-processed', key: string) {
  const chunks: Buffer[] = [];
  for await (const chunk of await storage.getObject(bucket, key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The same storage the server uses (same folder or S3 server, same multipart ledger). */
async function storageOf(server: TestServer, env: Record<string, string>): Promise<StoragePort> {
  const config = loadConfig({ ...env, LECTIO_DATA_DIR: server.dataDir });
  return createStorage(config.storage, {
    database: server.database,
    publicUrl: server.url,
    signingSecret: 'only-reading-needs-no-valid-signature',
  });
}

/**
 * The whole resumable flow, as the studio runs it: start, send part 1, "reload" (start again with
 * the same file, which resumes and lists what is stored), send the rest, complete. The object in
 * storage must be the file, byte for byte.
 */
async function uploadWithReload(client: Client, storage: StoragePort, expectPartUrlOrigin: string) {
  const file = pickedFile(17 * MiB + 12_345);
  const first = await start(client, file);
  expect(first.status).toBe(201);
  const started = await json<Started>(first);
  expect(started.video).toMatchObject({ status: 'uploading', sizeBytes: file.bytes.length, masterUrl: null });
  expect(started.upload).toMatchObject({ partSize: 8 * MiB, partCount: 3, parts: [] });
  const id = started.video.id;

  const [first_url] = await sendParts(client, id, started.upload, file.bytes, [1]);
  expect(new URL(first_url!.url).origin).toBe(expectPartUrlOrigin);

  const reloaded = await start(client, file);
  expect(reloaded.status).toBe(200);
  const resumed = await json<Started>(reloaded);
  expect(resumed.video.id).toBe(id);
  expect(resumed.upload.parts).toEqual([{ partNumber: 1, etag: expect.any(String), size: 8 * MiB }]);
  expect(await json<UploadState>(await client.call('GET', `/studio/videos/${id}/upload`))).toEqual(resumed.upload);

  const early = await client.call('POST', `/studio/videos/${id}/upload/complete`);
  expect(early.status).toBe(409);
  const earlyBody = await json<{ error: { code: string; details: { missingParts: number[] } } }>(early);
  expect(earlyBody.error).toMatchObject({ code: 'upload_incomplete', details: { missingParts: [2, 3] } });

  await sendParts(client, id, resumed.upload, file.bytes, [2, 3]);
  const completed = await client.call('POST', `/studio/videos/${id}/upload/complete`);
  expect(completed.status).toBe(200);
  const video = await json<StudioVideo>(completed);
  expect(['uploaded', 'processing', 'ready', 'failed']).toContain(video.status);

  const stored = await readAll(storage, 'videos-raw', `${client.userId}/${id}/source`);
  expect(stored.length).toBe(file.bytes.length);
  expect(sha256(stored)).toBe(sha256(file.bytes));

  // Completing again answers the video as it is; the upload is over for every other call.
  const again = await client.call('POST', `/studio/videos/${id}/upload/complete`);
  expect(again.status).toBe(200);
  expect((await json<StudioVideo>(again)).id).toBe(id);
  const closed = await client.call('GET', `/studio/videos/${id}/upload`);
  expect(closed.status).toBe(409);
  expect(await errorCode(closed)).toBe('upload_not_open');
  return { id, file };
}

describe.each(serverBackends())('video uploads [%s]', (_name, setup) => {
  let server: TestServer;
  let storage: StoragePort;
  let dispose: () => Promise<void>;
  let ipCounter = 0;
  const ip = () => `10.41.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;
  const anonymous = () => new ApiClient(server.url, ip());
  let instructor: Client;
  let otherInstructor: Client;
  let admin: Client;
  let student: Client;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    const env = { ...s.env, ...LIMITS_ENV };
    server = await startTestServer(env);
    storage = await storageOf(server, env);
    [instructor, otherInstructor, admin, student] = await Promise.all([
      signedInAs(server, 'instructor', ip()),
      signedInAs(server, 'instructor', ip()),
      signedInAs(server, 'admin', ip()),
      signedInAs(server, 'student', ip()),
    ]);
  });
  afterAll(async () => {
    await storage?.close();
    await server?.stop();
    await dispose?.();
  });

  it('resumes an upload after a reload, stores the exact file and hands it to the transcode job', async () => {
    const { id } = await uploadWithReload(instructor, storage, new URL(server.url).origin);
    // The job takes it from `uploaded` (this file is random bytes, so it cannot end ready).
    const settled = await waitUntil(async () => {
      const video = await json<StudioVideo>(await instructor.call('GET', `/studio/videos/${id}`));
      return ['processing', 'ready', 'failed'].includes(video.status) ? video : undefined;
    }, 'the transcode job to take the video');
    expect(settled.status).not.toBe('ready');
    const list = await json<{ items: StudioVideo[]; total: number }>(
      await instructor.call('GET', '/studio/videos?pageSize=10'),
    );
    expect(list.items.map((v) => v.id)).toContain(id);
  });

  it('refuses a file over the size limit, and more videos, open uploads or bytes than allowed', async () => {
    const tooBig = await instructor.call('POST', '/studio/videos/uploads', {
      filename: 'huge.mp4',
      size: 40 * MiB + 1,
      fingerprint: `huge-${unique()}`,
    });
    expect(tooBig.status).toBe(413);
    expect(await json(tooBig)).toMatchObject({ error: { code: 'video_too_large', details: { maxBytes: 40 * MiB } } });

    const teacher = await signedInAs(server, 'instructor', ip());
    const small = [pickedFile(MiB), pickedFile(MiB), pickedFile(MiB), pickedFile(MiB)];
    const a = await json<Started>(await start(teacher, small[0]!));
    expect((await start(teacher, small[1]!)).status).toBe(201);
    const third = await start(teacher, small[2]!);
    expect(third.status).toBe(422);
    expect(await json(third)).toMatchObject({
      error: { code: 'video_limit_reached', details: { limit: 'open_uploads', max: 2 } },
    });

    // Finishing one frees an open-upload slot, but it still counts as one of the three videos.
    await sendParts(teacher, a.video.id, a.upload, small[0]!.bytes, [1]);
    expect((await teacher.call('POST', `/studio/videos/${a.video.id}/upload/complete`)).status).toBe(200);
    expect((await start(teacher, small[2]!)).status).toBe(201);
    const fourth = await start(teacher, small[3]!);
    expect(fourth.status).toBe(422);
    expect(await json(fourth)).toMatchObject({ error: { code: 'video_limit_reached', details: { limit: 'videos' } } });

    const saver = await signedInAs(server, 'instructor', ip());
    expect((await start(saver, pickedFile(35 * MiB))).status).toBe(201);
    const over = await saver.call('POST', '/studio/videos/uploads', {
      filename: 'second.mp4',
      size: 30 * MiB,
      fingerprint: `second-${unique()}`,
    });
    expect(over.status).toBe(422);
    expect(await json(over)).toMatchObject({
      error: { code: 'video_quota_exceeded', details: { quotaBytes: 60 * MiB, usedBytes: 35 * MiB } },
    });
  });

  it('answers a completion that another instance is finishing with 409 upload_completing, then the video', async () => {
    const teacher = await signedInAs(server, 'instructor', ip());
    const file = pickedFile(9 * MiB);
    const { video, upload } = await json<Started>(await start(teacher, file));
    await sendParts(teacher, video.id, upload, file.bytes, [1, 2]);

    // A second API instance on the same database and storage, whose storage call has joined the
    // parts but which has not marked the video uploaded yet.
    let joined!: () => void;
    const hasJoined = new Promise<void>((resolve) => (joined = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held = new Proxy(storage, {
      get(target, property, receiver) {
        if (property === 'completeMultipartUpload') {
          return async (...args: Parameters<StoragePort['completeMultipartUpload']>) => {
            await target.completeMultipartUpload(...args);
            joined();
            await released;
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const scheduled: string[] = [];
    const otherInstance = new VideoUploadService(
      new VideoRepository(server.database.primary),
      held,
      { scheduleTranscode: async (id) => void scheduled.push(id) },
      loadConfig({ ...LIMITS_ENV, LECTIO_DATA_DIR: server.dataDir }).video,
      { sign: () => 'unused' },
    );
    const elsewhere = otherInstance.complete({ userId: teacher.userId, role: 'instructor' }, video.id);
    await hasJoined;

    const meanwhile = await teacher.call('POST', `/studio/videos/${video.id}/upload/complete`);
    expect(meanwhile.status).toBe(409);
    expect(await errorCode(meanwhile)).toBe('upload_completing');

    release();
    expect(await elsewhere).toMatchObject({ id: video.id, status: 'uploaded' });
    expect(scheduled).toEqual([video.id]);
    const after = await teacher.call('POST', `/studio/videos/${video.id}/upload/complete`);
    expect(after.status).toBe(200);
    expect((await json<StudioVideo>(after)).id).toBe(video.id);
    const stored = await readAll(storage, 'videos-raw', `${teacher.userId}/${video.id}/source`);
    expect(sha256(stored)).toBe(sha256(file.bytes));
  });

  it('answers parts outside the plan with 400 invalid_part', async () => {
    const file = pickedFile(9 * MiB);
    const { video, upload } = await json<Started>(await start(instructor, file));
    expect(upload.partCount).toBe(2);
    const beyond = await instructor.call('POST', `/studio/videos/${video.id}/upload/part-urls`, { partNumbers: [3] });
    expect(beyond.status).toBe(400);
    expect(await errorCode(beyond)).toBe('invalid_part');
    for (const part of [
      { partNumber: 3, etag: '"x"', size: MiB },
      { partNumber: 1, etag: '"x"', size: MiB },
      { partNumber: 2, etag: '"x"', size: 8 * MiB },
    ]) {
      const res = await instructor.call('POST', `/studio/videos/${video.id}/upload/parts`, part);
      expect(res.status, JSON.stringify(part)).toBe(400);
      expect(await errorCode(res)).toBe('invalid_part');
    }
    // The plan's size but never stored: the local store checks its disk.
    const unstored = await instructor.call('POST', `/studio/videos/${video.id}/upload/parts`, {
      partNumber: 2,
      etag: '"0123456789abcdef0123456789abcdef"',
      size: MiB,
    });
    expect(unstored.status).toBe(400);
    expect((await instructor.call('DELETE', `/studio/videos/${video.id}/upload`)).status).toBe(204);
  });

  it('aborts an upload: its parts are gone, the video is aborted and the same file starts afresh', async () => {
    const file = pickedFile(9 * MiB);
    const { video, upload } = await json<Started>(await start(instructor, file));
    await sendParts(instructor, video.id, upload, file.bytes, [1]);
    const rawKey = `${instructor.userId}/${video.id}/source`;
    expect(await storage.listParts('videos-raw', rawKey, upload.uploadId)).toHaveLength(1);

    expect((await instructor.call('DELETE', `/studio/videos/${video.id}/upload`)).status).toBe(204);
    expect(await storage.listParts('videos-raw', rawKey, upload.uploadId)).toEqual([]);
    expect(await json<StudioVideo>(await instructor.call('GET', `/studio/videos/${video.id}`))).toMatchObject({
      status: 'aborted',
    });
    expect((await instructor.call('DELETE', `/studio/videos/${video.id}/upload`)).status).toBe(204);
    const urls = await instructor.call('POST', `/studio/videos/${video.id}/upload/part-urls`, { partNumbers: [2] });
    expect(urls.status).toBe(409);
    expect(await errorCode(urls)).toBe('upload_not_open');
    const complete = await instructor.call('POST', `/studio/videos/${video.id}/upload/complete`);
    expect(complete.status).toBe(409);

    const fresh = await start(instructor, file);
    expect(fresh.status).toBe(201);
    const restarted = await json<Started>(fresh);
    expect(restarted.video.id).not.toBe(video.id);
    expect(restarted.upload.parts).toEqual([]);
    expect((await instructor.call('DELETE', `/studio/videos/${restarted.video.id}/upload`)).status).toBe(204);
  });

  it("keeps each instructor's videos to them (admins reach all) and the studio to teachers", async () => {
    const file = pickedFile(MiB);
    const { video } = await json<Started>(await start(instructor, file));
    for (const [method, path, body] of [
      ['GET', `/studio/videos/${video.id}`, undefined],
      ['GET', `/studio/videos/${video.id}/upload`, undefined],
      ['POST', `/studio/videos/${video.id}/upload/part-urls`, { partNumbers: [1] }],
      ['POST', `/studio/videos/${video.id}/upload/complete`, undefined],
      ['DELETE', `/studio/videos/${video.id}/upload`, undefined],
      ['DELETE', `/studio/videos/${video.id}`, undefined],
    ] as const) {
      const res = await otherInstructor.call(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await errorCode(res)).toBe('video_not_found');
    }
    expect((await otherInstructor.call('GET', '/studio/videos')).status).toBe(200);
    expect(
      (await json<{ items: StudioVideo[] }>(await otherInstructor.call('GET', '/studio/videos'))).items.map(
        (v) => v.id,
      ),
    ).not.toContain(video.id);
    expect((await admin.call('GET', `/studio/videos/${video.id}`)).status).toBe(200);

    const refused = await start(student, pickedFile(MiB));
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('forbidden');
    expect((await student.call('GET', `/studio/videos/${video.id}`)).status).toBe(403);
    expect((await anonymous().call('GET', `/studio/videos/${video.id}`)).status).toBe(401);

    // Deleting: the admin may; the row and the upload go.
    expect((await admin.call('DELETE', `/studio/videos/${video.id}`)).status).toBe(204);
    expect((await instructor.call('GET', `/studio/videos/${video.id}`)).status).toBe(404);
  });

  it('links a ready video to a lesson, shows it to students, and serves its current version only', async () => {
    const db = server.database.primary;
    const course = await insertCourse(db, { instructorId: instructor.userId });
    const previewVideo = await insertReadyVideo(db, instructor.userId, { durationSeconds: 95.4 });
    const paidVideo = await insertReadyVideo(db, instructor.userId);
    const files: Record<string, Buffer> = {
      'master.m3u8': Buffer.from('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1500000\n720p/index.m3u8\n'),
      '720p/index.m3u8': Buffer.from('#EXTM3U\n#EXTINF:6.0,\nseg_00000.ts\n#EXT-X-ENDLIST\n'),
      '720p/seg_00000.ts': randomBytes(188 * 20),
      'poster.jpg': randomBytes(500),
      'storyboard.vtt': Buffer.from('WEBVTT\n'),
    };
    for (const video of [previewVideo, paidVideo]) {
      for (const [file, bytes] of Object.entries(files)) {
        await storage.putObject('videos-processed', `${video.id}/${video.version}/${file}`, bytes);
      }
    }

    // A video of someone else cannot be linked, not even by an admin editing this course.
    const foreign = await insertReadyVideo(db, otherInstructor.userId);
    for (const editor of [instructor, admin]) {
      const res = await editor.call('PATCH', `/studio/lessons/${course.previewLessonId}`, { videoId: foreign.id });
      expect(res.status).toBe(404);
      expect(await errorCode(res)).toBe('video_not_found');
    }
    const linked = await instructor.call('PATCH', `/studio/lessons/${course.previewLessonId}`, {
      type: 'video',
      videoId: previewVideo.id,
    });
    expect(linked.status).toBe(200);
    expect(await json(linked)).toMatchObject({ videoId: previewVideo.id, durationSeconds: 95 });
    expect(
      (await admin.call('PATCH', `/studio/lessons/${course.paidLessonId}`, { type: 'video', videoId: paidVideo.id }))
        .status,
    ).toBe(200);

    // The lesson's content names the video; its media URLs come with a playback grant.
    const content = await json<{ video: Record<string, unknown> }>(
      await anonymous().call('GET', `/lessons/${course.previewLessonId}`),
    );
    expect(content.video).toEqual({ id: previewVideo.id, status: 'ready', playable: true, durationSeconds: 95.4 });

    // Free preview: anyone gets a grant; its URLs serve the files, with the right types and caching.
    const grantOf = (client: ApiClient, lessonId: string) => client.call('POST', `/lessons/${lessonId}/playback`, {});
    const preview = await json<{ hlsUrl: string; posterUrl: string; storyboardUrl: string }>(
      await grantOf(anonymous(), course.previewLessonId),
    );
    const base = preview.hlsUrl.slice(0, -'master.m3u8'.length);
    expect(base.endsWith(`/videos/${previewVideo.id}/${previewVideo.version}/`)).toBe(true);
    const master = await fetch(preview.hlsUrl);
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(master.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(master.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await master.arrayBuffer())).toEqual(files['master.m3u8']);
    const segment = await fetch(`${base}720p/seg_00000.ts`);
    expect(segment.headers.get('content-type')).toBe('video/mp2t');
    expect(segment.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await segment.arrayBuffer())).toEqual(files['720p/seg_00000.ts']);
    expect(preview.posterUrl).toBe(`${base}poster.jpg`);
    const head = await fetch(preview.posterUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/jpeg');
    expect(head.headers.get('content-length')).toBe('500');
    expect(await head.text()).toBe('');
    expect((await fetch(preview.storyboardUrl)).headers.get('content-type')).toMatch(/^text\/vtt/);

    // Only files that exist (404), and nothing outside the signed video's prefix (403).
    for (const url of [
      `${base.replace(previewVideo.version, 'vold123')}master.m3u8`,
      `${base}720p/seg_00001.ts`,
      `${base}master.txt`,
    ]) {
      expect((await fetch(url)).status, url).toBe(404);
    }
    for (const url of [`${base}720p/..%2Fmaster.m3u8`, base.replace(previewVideo.id, paidVideo.id) + 'master.m3u8']) {
      expect((await fetch(url)).status, url).toBe(403);
    }

    // Not a free preview: enrolled students, the instructor and admins only.
    const paidGrant = (client: ApiClient) => grantOf(client, course.paidLessonId);
    const hlsUrlOf = async (res: Response) => (await json<{ hlsUrl: string }>(res)).hlsUrl;
    expect((await paidGrant(anonymous())).status).toBe(401);
    expect((await paidGrant(student)).status).toBe(403);
    expect((await paidGrant(otherInstructor)).status).toBe(403);
    expect((await paidGrant(admin)).status).toBe(200);
    const paid = await hlsUrlOf(await paidGrant(instructor));
    expect((await fetch(paid)).status).toBe(200);
    const learner = await signedInAs(server, 'student', ip());
    expect((await learner.call('POST', `/courses/${course.id}/enroll`)).status).toBe(201);
    expect((await fetch(await hlsUrlOf(await paidGrant(learner)))).status).toBe(200);

    // A video no published course shows: only its owner's studio hands out URLs for it.
    const unused = await insertReadyVideo(db, instructor.userId);
    await storage.putObject('videos-processed', `${unused.id}/${unused.version}/master.m3u8`, files['master.m3u8']!);
    const unusedView = await json<StudioVideo>(await instructor.call('GET', `/studio/videos/${unused.id}`));
    expect((await fetch(unusedView.masterUrl!)).status).toBe(200);
    expect((await fetch(paid.replace(paidVideo.id, unused.id).replace(paidVideo.version, unused.version))).status).toBe(
      403,
    );

    // A published course shows it: it stays until replaced there; deleting it then removes the files.
    const inUse = await instructor.call('DELETE', `/studio/videos/${paidVideo.id}`);
    expect(inUse.status).toBe(409);
    expect(await errorCode(inUse)).toBe('video_in_use');
    await db.update(lessons).set({ videoId: null }).where(eq(lessons.id, course.paidLessonId));
    expect((await instructor.call('DELETE', `/studio/videos/${paidVideo.id}`)).status).toBe(204);
    expect(await storage.headObject('videos-processed', `${paidVideo.id}/${paidVideo.version}/master.m3u8`)).toBe(
      undefined,
    );
    expect((await fetch(paid)).status).toBe(404);
  });
});

/**
 * An upload's many small requests (a part URL, a PUT and a record per 8 MiB) do not spend its
 * address's request budget: the signed storage routes are outside it, as S3's presigned URLs are,
 * and the per-part routes have their own. With a budget of five, a six-part upload completes and
 * the address still has what it had for everything else, which is still limited.
 */
describe.each(serverBackends())('video uploads under a small request budget [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const s = await setup();
    dispose = s.dispose;
    server = await startTestServer({
      ...s.env,
      TRUST_PROXY: 'true',
      SEED_DEMO_DATA: 'false',
      RATE_LIMIT_MAX: '5',
      RATE_LIMIT_WINDOW_SECONDS: '60',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  it('completes an upload of more parts than the budget and leaves the budget to other requests', async () => {
    const teacher = await signedInAs(server, 'instructor', '10.43.0.1');
    const file = pickedFile(5 * 8 * MiB + 1_000);
    const started = await start(teacher, file);
    expect(started.status).toBe(201);
    const { video, upload } = await json<Started>(started);
    expect(upload.partCount).toBe(6);
    // The PUTs go out without the teacher's forwarded address, so they land on the loopback's own
    // budget: both addresses' budgets are five, both see six or more calls.
    await sendParts(teacher, video.id, upload, file.bytes, [1, 2, 3, 4, 5, 6]);
    const completed = await teacher.call('POST', `/studio/videos/${video.id}/upload/complete`);
    expect(completed.status).toBe(200);

    // Start, complete, and now three more: the fifth is the last the budget allows.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await teacher.call('GET', `/studio/videos/${video.id}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

/**
 * S3 mode (s3rver): the part URLs point at the object store itself, so the file's bytes never pass
 * through the API, and the completed object is still the file.
 */
describe('video uploads [s3]', () => {
  let s3: RunningS3rver;
  let server: TestServer;
  let storage: StoragePort;

  beforeAll(async () => {
    s3 = await startS3rver();
    const env = {
      ...LIMITS_ENV,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    };
    server = await startTestServer(env);
    storage = await storageOf(server, env);
  });
  afterAll(async () => {
    await storage?.close();
    await server?.stop();
    await s3?.stop();
  });

  it('sends the parts straight to the object store and resumes from its ledger', async () => {
    const teacher = await signedInAs(server, 'instructor', '10.42.0.1');
    await uploadWithReload(teacher, storage, new URL(s3.endpoint).origin);
  });
});
