import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { UserRepository } from '../src/modules/users/repository.js';
import { UserService } from '../src/modules/users/service.js';
import { transcodeVideoJob, videoJobHandlers } from '../src/modules/videos/jobs.js';
import type { Transcoder } from '../src/modules/videos/pipeline.js';
import { VideoRepository } from '../src/modules/videos/repository.js';
import { videos } from '../src/modules/videos/schema.js';
import { createCache } from '../src/platform/cache/factory.js';
import { createQueue } from '../src/platform/queue/factory.js';
import type { EnqueueOptions, QueuePort } from '../src/platform/queue/port.js';
import { LocalStorage } from '../src/platform/storage/local.js';
import type { StoragePort } from '../src/platform/storage/port.js';
import { ApiClient, mailsTo } from './support/accounts.js';
import { buildCourse, json, PASSWORD, unique } from './support/catalog.js';
import { createTestDatabase, serverBackends, type TestDatabase } from './support/databases.js';
import { generateVideo, makeBadInputs, type BadInputKind } from './support/media.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';
import {
  fetchMedia,
  fetchWholeLadder,
  flakyFfmpeg,
  insertUploadedVideo,
  keysUnder,
  localStoreOf,
  studioVideo,
  uploadThroughApi,
  versionOf,
  watchUntilSettled,
  type StudioVideo,
} from './support/video-pipeline.js';

/**
 * The processing side end to end on a real server (API + worker in one process, real ffmpeg):
 * what an instructor sees in the studio and the mailbox, what a player can fetch, and what is
 * left in storage. Media is generated here; ultrafast keeps each transcode to a few seconds.
 */

let mediaDir: string;
let lecture: string;
let bad: Record<BadInputKind, string>;

beforeAll(async () => {
  mediaDir = await mkdtemp(path.join(os.tmpdir(), 'lectio-pipeline-media-'));
  // 854x480: two rungs (480p, 360p), so the ladder is a ladder; 6 s: two segments per rung.
  [lecture, bad] = await Promise.all([
    generateVideo(path.join(mediaDir, 'lecture.mp4'), { seconds: 6, width: 854, height: 480 }),
    makeBadInputs(path.join(mediaDir, 'bad')),
  ]);
}, 120_000);
afterAll(async () => {
  await rm(mediaDir, { recursive: true, force: true });
});

describe.each(serverBackends())('video pipeline [%s]', (_name, setup) => {
  let server: TestServer;
  let dispose: () => Promise<void>;
  let workDir: string;
  let flaky: ReturnType<typeof flakyFfmpeg>;
  let queue: QueuePort;
  let store: LocalStorage;
  let instructor: ApiClient & { userId: string };
  let email: string;
  let ipCounter = 0;
  const ip = () => `10.51.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}`;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'lectio-pipeline-'));
    flaky = flakyFfmpeg(workDir);
    const s = await setup();
    dispose = s.dispose;
    const env = {
      ...s.env,
      TRUST_PROXY: 'true',
      FFMPEG_PATH: flaky.path,
      TRANSCODE_PRESET: 'ultrafast',
      REDIS_PREFIX: `t${unique()}`,
    };
    server = await startTestServer(env);
    // The test's own producer on the server's queue, for jobs enqueued with test-only options.
    queue = createQueue(loadConfig({ ...env, LECTIO_DATA_DIR: server.dataDir }).queue, { database: server.database });
    store = localStoreOf(server.dataDir);

    email = `instructor-${unique()}@example.com`;
    const user = await server.services.users.createUser({
      email,
      password: PASSWORD,
      displayName: '김강사',
      role: 'instructor',
    });
    const client = new ApiClient(server.url, ip());
    expect((await client.login(email, PASSWORD)).status).toBe(200);
    instructor = Object.assign(client, { userId: user.id });
  });
  afterAll(async () => {
    await queue?.close();
    await server?.stop();
    await dispose?.();
    await rm(workDir, { recursive: true, force: true });
  });

  it('takes an upload through processing (percent rising) to a published ladder, lesson and mail included', async () => {
    const categoryId = (
      await server.services.courseAdmin.createCategory({ slug: `video-${unique()}`, nameKo: '영상', nameEn: 'Video' })
    ).id;
    const course = await buildCourse(instructor, { title: `동영상 강의 ${unique()}`, categoryId });

    const uploaded = await uploadThroughApi(instructor, lecture, '정렬 알고리즘 3강.mp4');
    expect(['uploaded', 'processing']).toContain(uploaded.status);
    expect(uploaded.masterUrl).toBeNull();
    const attached = await instructor.call('PATCH', `/studio/lessons/${course.lessonIds[0]}`, {
      videoId: uploaded.id,
    });
    expect(attached.status).toBe(200);

    const { final, seen } = await watchUntilSettled(instructor, uploaded.id);
    expect(final.status, JSON.stringify(final)).toBe('ready');
    const processing = seen.filter((s) => s.status === 'processing');
    expect(
      processing.some((s) => s.percent > 0 && s.percent < 100),
      JSON.stringify(seen),
    ).toBe(true);
    // Never backwards while processing, and never published before it was done.
    const percents = processing.map((s) => s.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(seen.filter((s) => s.status === 'ready').every((s) => s.percent === 100)).toBe(true);

    expect(final).toMatchObject({ progressPercent: 100, width: 854, height: 480, failureCode: null });
    expect(final.durationSeconds).toBeGreaterThan(5.5);
    expect(final.durationSeconds).toBeLessThan(6.5);
    expect(final.renditions.map((r) => `${r.name} ${r.width}x${r.height}`)).toEqual(['480p 854x480', '360p 640x360']);
    expect(final.readyAt).not.toBeNull();

    // Everything a player needs is there under the published version, and nothing else is.
    const masterUrl = final.masterUrl!;
    const version = versionOf(masterUrl);
    const fetched = await fetchWholeLadder(instructor, masterUrl);
    const base = masterUrl.slice(0, -'master.m3u8'.length);
    for (const file of ['poster.jpg', 'poster.webp', 'storyboard.jpg', 'storyboard.vtt']) {
      const res = await fetchMedia(instructor, base + file);
      expect(res.status, file).toBe(200);
      fetched.push(file);
    }
    const stored = (await keysUnder(store, `${final.id}/`)).map((k) => k.slice(`${final.id}/`.length));
    expect(
      stored.every((k) => k.startsWith(`${version}/`)),
      stored.join('\n'),
    ).toBe(true);
    expect(stored.map((k) => k.slice(version.length + 1)).sort()).toEqual([...fetched].sort());

    // The lesson took the video's duration; its page shows it.
    const studioCourse = await json<{ sections: { lessons: { id: string; durationSeconds: number }[] }[] }>(
      await instructor.call('GET', `/studio/courses/${course.id}`),
    );
    const lesson = studioCourse.sections[0]!.lessons.find((l) => l.id === course.lessonIds[0]);
    expect(lesson?.durationSeconds).toBe(Math.round(final.durationSeconds!));

    const mail = await waitUntil(
      async () => (await mailsTo(server.url, email)).find((m) => m.subject.includes('정렬 알고리즘 3강')),
      'the ready mail',
    );
    expect(mail.subject).toMatch(/^Lectio 동영상 처리 완료 \/ Your video is ready/);
    expect(mail.text).toContain(`/studio/videos/${final.id}`);
    expect(mail.text.indexOf('김강사님')).toBeLessThan(mail.text.indexOf('Hello 김강사'));
  });

  it('refuses five kinds of bad input, each with its own reason and mail, and keeps taking jobs', async () => {
    const expected: Record<BadInputKind, string> = {
      text: 'not_media',
      image: 'image_file',
      truncated: 'corrupt',
      empty: 'empty_file',
      audio_only: 'no_video_stream',
    };
    const ids = new Map<string, BadInputKind>();
    for (const kind of ['text', 'image', 'truncated', 'audio_only'] as const) {
      ids.set((await uploadThroughApi(instructor, bad[kind], `${kind}-${unique()}.mp4`)).id, kind);
    }
    // The API refuses a zero-byte upload outright; a raw object that ends up empty anyway (a
    // broken client, a storage fault) must still fail with its own reason.
    const emptyId = await insertUploadedVideo(server.database, store, instructor.userId, bad.empty);
    await queue.enqueue(transcodeVideoJob, { videoId: emptyId });
    ids.set(emptyId, 'empty');
    // The worker went on after five refusals: a good video uploaded last still gets published.
    const good = await uploadThroughApi(instructor, lecture, `after-bad-${unique()}.mp4`);

    const outcomes = new Map<BadInputKind, StudioVideo>();
    for (const [id, kind] of ids) {
      const { final } = await watchUntilSettled(instructor, id);
      outcomes.set(kind, final);
    }
    for (const [kind, video] of outcomes) {
      expect(video, kind).toMatchObject({ status: 'failed', failureCode: expected[kind], masterUrl: null });
      expect(video.failureMessage, kind).toMatch(/\w+ .+\./);
      // A refused file leaves nothing behind in the processed bucket.
      expect(await keysUnder(store, `${video.id}/`), kind).toEqual([]);
    }
    expect(new Set([...outcomes.values()].map((v) => v.failureCode)).size).toBe(5);

    const failureMails = await waitUntil(async () => {
      const mails = (await mailsTo(server.url, email)).filter((m) => m.subject.startsWith('Lectio 동영상 처리 실패'));
      return mails.length >= 5 ? mails : undefined;
    }, 'five failure mails');
    expect(failureMails).toHaveLength(5);
    const image = failureMails.find((m) => m.subject.includes('image-'));
    expect(image?.text).toMatch(/이유: 이미지 파일입니다/);
    expect(image?.text).toMatch(/Reason: This file is an image/);

    expect((await watchUntilSettled(instructor, good.id)).final.status).toBe('ready');
  });

  it('retries a transient ffmpeg failure and publishes; the failed run leaves nothing behind', async () => {
    const id = await insertUploadedVideo(server.database, store, instructor.userId, lecture);
    flaky.failNextLadderRun();
    // The declaration's 30 s backoff, shortened for the test; attempts stay as declared.
    await queue.enqueue({ ...transcodeVideoJob, backoffMs: 1_000 }, { videoId: id });

    const firstRun = await waitUntil(async () => {
      const video = await new VideoRepository(server.database.primary).byId(id);
      return video?.processingVersion ?? undefined;
    }, 'the first run to start');
    const { final } = await watchUntilSettled(instructor, id);
    expect(final.status).toBe('ready');
    expect(final.masterUrl).not.toContain(firstRun);
    expect(await keysUnder(store, `${id}/${firstRun}/`)).toEqual([]);
    expect((await keysUnder(store, `${id}/`)).every((k) => k.startsWith(`${id}/${versionOf(final.masterUrl!)}/`))).toBe(
      true,
    );

    // One ready mail, no failure mail: a retried hiccup is not the instructor's problem.
    const mails = (await mailsTo(server.url, email)).filter((m) => m.subject.includes(final.originalFilename));
    expect(mails.map((m) => m.subject.split(' / ')[0])).toEqual(['Lectio 동영상 처리 완료']);
    expect((await studioVideo(instructor, id)).failureCode).toBeNull();
  });
});

/**
 * The run's bookkeeping, driven directly (no HTTP, no worker) so each failure lands exactly where
 * the test wants it: a storage fault halfway through the upload, a run that loses the video to
 * another, a shutdown. The transcoder is a stand-in that writes a small ladder's files at once.
 */
describe('transcode runs, driven directly', () => {
  const OLD_VERSION_RETENTION_MS = 3_600_000;
  let database: TestDatabase;
  let root: string;
  let storage: LocalStorage;
  let ownerId: string;
  let enqueued: { job: string; payload: unknown; options: EnqueueOptions | undefined }[];
  let invalidated: string[][];
  const quietLogger = { info() {}, warn() {}, error() {} };

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    root = await mkdtemp(path.join(os.tmpdir(), 'lectio-pipeline-direct-'));
    storage = new LocalStorage({ root, publicUrl: 'http://127.0.0.1:1', signingSecret: 'direct-test-signing-secret' });
    await storage.ensureBuckets();
    const users = new UserService(new UserRepository(database.port.primary, database.port.primary));
    ownerId = (
      await users.createUser({
        email: `direct-${unique()}@example.com`,
        password: PASSWORD,
        displayName: 'Direct',
        role: 'instructor',
      })
    ).id;
  });
  afterAll(async () => {
    await database?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  /** A stand-in for the one-pass ladder: the files a 360p ladder has, written instantly. */
  function fakeTranscoder(hook?: () => Promise<void>): Transcoder {
    return async (_input, outDir) => {
      await hook?.();
      const files = ['master.m3u8', '360p/index.m3u8', ...[0, 1, 2, 3, 4, 5].map((n) => `360p/seg_0000${n}.ts`)];
      files.push('poster.jpg', 'poster.webp', 'storyboard.jpg', 'storyboard.vtt');
      for (const file of files) {
        await mkdir(path.dirname(path.join(outDir, file)), { recursive: true });
        await writeFile(path.join(outDir, file), `content of ${file}`);
      }
      const video = {
        codec: 'h264',
        width: 640,
        height: 360,
        displayWidth: 640,
        displayHeight: 360,
        rotation: 0,
        frameRate: 30,
        variableFrameRate: false,
        pixelFormat: 'yuv420p',
        bitDepth: 8,
        hdr: false,
      };
      return {
        probe: { formatName: 'mp4', durationSeconds: 31.6, sizeBytes: 1, bitRate: 1, video, audio: null },
        durationSeconds: 31.6,
        masterPlaylist: 'master.m3u8',
        renditions: [
          {
            name: '360p',
            width: 640,
            height: 360,
            bandwidth: 500_000,
            averageBandwidth: 400_000,
            codecs: 'avc1.64001e',
            frameRate: 30,
            playlist: '360p/index.m3u8',
            segmentCount: 6,
            bytes: 1000,
          },
        ],
        poster: { jpeg: 'poster.jpg', webp: 'poster.webp', width: 640, height: 360 },
        storyboard: {
          vtt: 'storyboard.vtt',
          sprite: 'storyboard.jpg',
          tileWidth: 160,
          tileHeight: 90,
          columns: 5,
          rows: 2,
          intervalSeconds: 5,
        },
        files,
        wallSeconds: 0.1,
        realtimeFactor: 316,
      };
    };
  }

  /** The test store, with a hook that runs before every putObject into videos-processed (and may throw). */
  function interceptedStorage(beforeUpload: () => Promise<void>): StoragePort {
    return new Proxy(storage, {
      get(target, property) {
        if (property === 'putObject') {
          return async (...args: Parameters<StoragePort['putObject']>) => {
            if (args[0] === 'videos-processed') await beforeUpload();
            return target.putObject(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Fails every upload into videos-processed after the first `okUploads`, while `armed`. */
  function faultyStorage(okUploads: number): { port: StoragePort; armed: { value: boolean } } {
    const armed = { value: true };
    let uploads = 0;
    const port = interceptedStorage(async () => {
      if (armed.value && ++uploads > okUploads) throw new Error('simulated storage outage');
    });
    return { port, armed };
  }

  async function handlers(options: { storage?: StoragePort; transcode?: Transcoder } = {}) {
    enqueued = [];
    invalidated = [];
    const queue = {
      async enqueue(job: { name: string }, payload: unknown, enqueueOptions?: EnqueueOptions) {
        enqueued.push({ job: job.name, payload, options: enqueueOptions });
        return String(enqueued.length);
      },
    } as unknown as QueuePort;
    const registrations = videoJobHandlers({
      db: database.port.primary,
      cache: await createCache({ backend: 'memory' }),
      queue,
      storage: options.storage ?? storage,
      cdn: {
        backend: 'none',
        async invalidate(paths) {
          invalidated.push(paths);
        },
        async close() {},
      },
      video: { ...loadConfig({}).video, oldVersionRetentionMs: OLD_VERSION_RETENTION_MS },
      publicUrl: 'https://lectio.example',
      logger: quietLogger,
      transcode: options.transcode ?? fakeTranscoder(),
    });
    const handle = (name: string) => registrations.find((r) => r.declaration.name === name)!.handle;
    return {
      transcode: (videoId: string, attempt = 1, signal = new AbortController().signal) =>
        handle('videos.transcode')({ videoId }, { jobId: 'j', attempt, signal, reportProgress: async () => {} }),
      removeVersion: (videoId: string, version: string) =>
        handle('videos.remove-version')(
          { videoId, version },
          { jobId: 'r', attempt: 1, signal: new AbortController().signal, reportProgress: async () => {} },
        ),
      archiveRaw: () =>
        handle('videos.archive-raw')(
          {},
          { jobId: 'a', attempt: 1, signal: new AbortController().signal, reportProgress: async () => {} },
        ),
    };
  }

  const row = (id: string) => new VideoRepository(database.port.primary).byId(id);
  const processedKeys = (prefix: string) => keysUnder(storage, prefix);

  async function uploadedVideo(): Promise<string> {
    const file = path.join(root, `raw-${unique()}.mp4`);
    await writeFile(file, 'raw bytes of a lecture');
    return insertUploadedVideo(database.port, storage, ownerId, file);
  }

  it('removes what a failed attempt uploaded, retries under a new version and publishes only that', async () => {
    const id = await uploadedVideo();
    const faulty = faultyStorage(3);
    const run = await handlers({ storage: faulty.port });

    await expect(run.transcode(id, 1)).rejects.toThrow(/simulated storage outage/);
    const afterFirst = await row(id);
    expect(afterFirst).toMatchObject({ status: 'processing', version: null });
    const firstVersion = afterFirst!.processingVersion!;
    expect(await processedKeys(`${id}/`)).toEqual([]);
    expect(enqueued.filter((e) => e.job === 'notifications.send-email')).toEqual([]);

    faulty.armed.value = false;
    await run.transcode(id, 2);
    const published = await row(id);
    expect(published).toMatchObject({ status: 'ready', processingVersion: null, progressPercent: 100 });
    expect(published!.version).not.toBe(firstVersion);
    const keys = await processedKeys(`${id}/`);
    expect(keys).toHaveLength(12);
    expect(keys.every((k) => k.startsWith(`${id}/${published!.version}/`))).toBe(true);
    expect((await storage.headObject('videos-processed', `${id}/${published!.version}/master.m3u8`))?.contentType).toBe(
      'application/vnd.apple.mpegurl',
    );
    expect(
      (await storage.headObject('videos-processed', `${id}/${published!.version}/360p/seg_00000.ts`))?.contentType,
    ).toBe('video/mp2t');
    expect(invalidated).toEqual([[`/${id}/*`]]);
    expect(enqueued.map((e) => e.job)).toEqual(['notifications.send-email']);
    expect(enqueued[0]!.payload).toMatchObject({ subject: expect.stringMatching(/처리 완료/) });

    // Run again (a duplicate delivery): a published video is left alone.
    await run.transcode(id, 1);
    expect((await row(id))!.version).toBe(published!.version);
  });

  it('on the last attempt marks the video failed (processing_error), mails, and still fails the job', async () => {
    const id = await uploadedVideo();
    const run = await handlers({ storage: faultyStorage(0).port });
    await expect(run.transcode(id, transcodeVideoJob.attempts)).rejects.toThrow(/simulated storage outage/);
    const failed = await row(id);
    expect(failed).toMatchObject({
      status: 'failed',
      failureCode: 'processing_error',
      processingVersion: null,
      version: null,
    });
    expect(failed!.failureMessage).toMatch(/upload it again or ask an administrator/);
    const mails = enqueued.filter((e) => e.job === 'notifications.send-email');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.payload).toMatchObject({ subject: expect.stringMatching(/처리 실패/) });
    expect(await processedKeys(`${id}/`)).toEqual([]);
  });

  it('a run that lost the video to another run cannot publish, and removes its own files', async () => {
    const id = await uploadedVideo();
    const run = await handlers({
      transcode: fakeTranscoder(async () => {
        // Another worker took the job over meanwhile (this one's lease ran out) and claimed the row.
        await database.port.primary.update(videos).set({ processingVersion: 'vother' }).where(eq(videos.id, id));
      }),
    });
    await run.transcode(id, 1);
    expect(await row(id)).toMatchObject({ status: 'processing', processingVersion: 'vother', version: null });
    expect(await processedKeys(`${id}/`)).toEqual([]);
    expect(enqueued).toEqual([]);
  });

  it('a shutdown mid-run rethrows without marking the video failed; the next run cleans up after it', async () => {
    const id = await uploadedVideo();
    const stop = new AbortController();
    let uploads = 0;
    // The worker is told to stop while the run uploads its third file; what it uploaded stays for now.
    const run = await handlers({
      storage: interceptedStorage(async () => {
        if (++uploads === 3) stop.abort(new Error('worker shutting down'));
      }),
    });
    await expect(run.transcode(id, 1, stop.signal)).rejects.toThrow();
    const interrupted = await row(id);
    expect(interrupted).toMatchObject({ status: 'processing', failureCode: null, version: null });
    expect(enqueued).toEqual([]);
    const leftovers = await processedKeys(`${id}/${interrupted!.processingVersion}/`);
    expect(leftovers.length).toBeGreaterThan(0);

    const rerun = await handlers();
    await rerun.transcode(id, 2);
    const published = await row(id);
    expect(published!.status).toBe('ready');
    expect(await processedKeys(`${id}/${interrupted!.processingVersion}/`)).toEqual([]);
  });

  it('a replaced version is removed later, never the current one', async () => {
    const id = await uploadedVideo();
    const run = await handlers();
    await run.transcode(id, 1);
    const first = (await row(id))!.version!;
    // A replacement upload (or an admin re-run) puts the video back to uploaded; the first stays playable.
    await database.port.primary.update(videos).set({ status: 'uploaded' }).where(eq(videos.id, id));
    await run.transcode(id, 1);
    const second = (await row(id))!.version!;
    expect(second).not.toBe(first);
    expect(enqueued.find((e) => e.job === 'videos.remove-version')).toEqual({
      job: 'videos.remove-version',
      payload: { videoId: id, version: first },
      options: expect.objectContaining({ delayMs: OLD_VERSION_RETENTION_MS }),
    });

    await run.removeVersion(id, second);
    expect(await processedKeys(`${id}/${second}/`)).toHaveLength(12);
    await run.removeVersion(id, first);
    expect(await processedKeys(`${id}/${first}/`)).toEqual([]);
    expect(await processedKeys(`${id}/${second}/`)).toHaveLength(12);
  });

  it('moves raw uploads past the cold age to cold storage and marks their rows; recent ones stay', async () => {
    const run = await handlers();
    const oldId = await uploadedVideo();
    const recentId = await uploadedVideo();
    const processingId = await uploadedVideo();
    await run.transcode(oldId, 1);
    await run.transcode(recentId, 1);
    const longAgo = new Date(Date.now() - 45 * 86_400_000);
    await database.port.primary.update(videos).set({ uploadedAt: longAgo }).where(eq(videos.id, oldId));
    await database.port.primary
      .update(videos)
      .set({ uploadedAt: longAgo, status: 'processing' })
      .where(eq(videos.id, processingId));

    await run.archiveRaw();
    const archived = (await row(oldId))!;
    expect(archived).toMatchObject({ rawStorageClass: 'cold' });
    expect(archived.rawArchivedAt).toBeInstanceOf(Date);
    expect(await row(recentId)).toMatchObject({ rawStorageClass: 'standard', rawArchivedAt: null });
    // A transcode may be reading it: not archived under its feet.
    expect(await row(processingId)).toMatchObject({ rawStorageClass: 'standard' });
    await expect(access(path.join(root, 'cold', 'videos-raw', ...archived.rawKey.split('/')))).resolves.toBeUndefined();
    // Still readable where it was, for a re-transcode.
    expect((await storage.headObject('videos-raw', archived.rawKey))?.size).toBe('raw bytes of a lecture'.length);

    await run.archiveRaw();
    expect((await row(oldId))!.rawArchivedAt).toEqual(archived.rawArchivedAt);
  });
});
