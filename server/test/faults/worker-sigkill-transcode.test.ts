import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoRepository } from '../../src/modules/videos/repository.js';
import { signedInUser } from '../support/course-fixtures.js';
import { generateVideo } from '../support/media.js';
import {
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from '../support/private-services.js';
import { startTestServer, waitUntil, type TestServer } from '../support/servers.js';
import {
  fetchWholeLadder,
  keysUnder,
  localStoreOf,
  studioVideo,
  uploadThroughApi,
  versionOf,
  watchUntilSettled,
} from '../support/video-pipeline.js';
import { killGroup, startSteadyLoad, startWorker, summary, type SteadyLoad, type WorkerProcess } from './support.js';

/**
 * A worker process (`lectio serve --worker` from the build, with its ffmpeg) SIGKILLed in the middle
 * of a transcode, under steady API load: nothing of the killed run is ever playable, and a new
 * worker publishes the video once, under a new version, with the killed run's files and scratch
 * folder removed. (server/test/video-crash.test.ts covers the same on both queue backends from the
 * sources; this is the production build on private services, with traffic.)
 */

describe('a worker SIGKILLed mid-transcode [private postgres + redis]', () => {
  let database: PrivatePostgres;
  let redis: PrivateRedis;
  let server: TestServer;
  let workerEnv: Record<string, string>;
  let workerTmp: string;
  let mediaDir: string;
  let lecture: string;
  let load: SteadyLoad | undefined;
  const workers: WorkerProcess[] = [];
  const describeWorkers = () => workers.map((w, i) => `--- worker ${i + 1} ---\n${w.output()}`).join('\n');

  beforeAll(async () => {
    mediaDir = await mkdtemp(path.join(os.tmpdir(), 'lectio-kill-media-'));
    workerTmp = await mkdtemp(path.join(os.tmpdir(), 'lectio-kill-tmp-'));
    // About ten seconds of encoding on a small machine: time to kill after the first segments.
    [database, redis, lecture] = await Promise.all([
      startPrivatePostgres(),
      startPrivateRedis(),
      generateVideo(path.join(mediaDir, 'lecture.mp4'), { seconds: 12, width: 1280, height: 720 }),
    ]);
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: `fault${Date.now().toString(36)}`,
      QUEUE_BACKEND: 'bullmq',
      SEED_DEMO_DATA: 'false',
      JOB_LEASE_SECONDS: '2',
    };
    server = await startTestServer({ ...env, TRUST_PROXY: 'true' }, { api: true, worker: false });
    workerEnv = {
      ...env,
      LECTIO_DATA_DIR: server.dataDir,
      PUBLIC_URL: server.url,
      TMPDIR: workerTmp,
    };
  }, 90_000);
  afterAll(async () => {
    await load?.stop().catch(() => undefined);
    await Promise.all(workers.map((w) => killGroup(w, 'SIGKILL')));
    await server?.stop();
    await redis?.stop();
    await database?.destroy();
    await rm(mediaDir, { recursive: true, force: true });
    await rm(workerTmp, { recursive: true, force: true });
  });

  it('publishes nothing of the killed run, then the video once under a new version', async () => {
    const instructor = await signedInUser(server, 'instructor');
    const store = localStoreOf(server.dataDir);
    const rows = new VideoRepository(server.database.primary);
    load = startSteadyLoad([{ name: 'catalog', url: `${server.url}/api/v1/courses` }], { concurrency: 2 });

    const video = await uploadThroughApi(instructor.client, lecture);
    const first = startWorker(workerEnv);
    workers.push(first);
    const scratch = async () => (await readdir(workerTmp)).filter((n) => n.startsWith('lectio-transcode-'));
    // Killed as soon as ffmpeg reports progress: waiting for the first files in storage as well
    // left too short a window on a quiet machine (the clip was ready before the poll saw it).
    const crashed = await waitUntil(
      async () => {
        const row = await rows.byId(video.id);
        if (row?.status !== 'processing' || row.progressPercent <= 0 || !row.processingVersion) return undefined;
        return (await scratch()).length > 0 ? { version: row.processingVersion } : undefined;
      },
      'the first worker to be mid-transcode',
      60_000,
    ).catch(async (error: unknown) => {
      const row = await rows.byId(video.id);
      throw new Error(`${String(error)}; video ${row?.status} ${row?.progressPercent}%\n${describeWorkers()}`);
    });
    await killGroup(first, 'SIGKILL');
    expect(await scratch(), 'the killed worker left its scratch folder').toHaveLength(1);
    expect(await rows.byId(video.id)).toMatchObject({ status: 'processing', version: null });
    expect(await studioVideo(instructor.client, video.id)).toMatchObject({ masterUrl: null, posterUrl: null });

    const second = startWorker(workerEnv);
    workers.push(second);
    const { final } = await watchUntilSettled(instructor.client, video.id, 90_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${describeWorkers()}`);
    });
    expect(final.status, describeWorkers()).toBe('ready');
    const version = versionOf(final.masterUrl!);
    expect(version).not.toBe(crashed.version);
    expect(await keysUnder(store, `${video.id}/${crashed.version}/`)).toEqual([]);
    const keys = await keysUnder(store, `${video.id}/`);
    expect(
      keys.every((k) => k.startsWith(`${video.id}/${version}/`)),
      keys.join('\n'),
    ).toBe(true);
    expect((await fetchWholeLadder(instructor.client, final.masterUrl!)).length).toBeGreaterThan(3);
    // The new worker swept the killed one's scratch folder, and removes its own once done.
    expect((await scratch()).filter((n) => n.startsWith(`lectio-transcode-${first.child.pid}-`))).toEqual([]);
    await waitUntil(async () => ((await scratch()).length === 0 ? true : undefined), 'scratch folders removed', 10_000);
    await killGroup(second, 'SIGTERM');

    const answers = await load.stop();
    load = undefined;
    expect(
      answers.filter((a) => a.status !== 200),
      summary(answers),
    ).toEqual([]);
  }, 150_000);
});
