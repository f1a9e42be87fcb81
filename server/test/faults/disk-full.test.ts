import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  keysUnder,
  localStoreOf,
  studioVideo,
  uploadThroughApi,
  watchUntilSettled,
} from '../support/video-pipeline.js';
import {
  killGroup,
  sleep,
  startSteadyLoad,
  startWorker,
  summary,
  type SteadyLoad,
  type WorkerProcess,
} from './support.js';

/**
 * The worker's disk fills up during a transcode: ffmpeg runs under a file-size limit
 * (`prlimit --fsize`, RLIMIT_FSIZE: a write past it fails as on a full disk) while a marker file
 * exists. The video must end failed with a reason that names the disk, leave no temp files and no
 * half-published output, and the same worker process must go on to transcode the next upload.
 */

const FSIZE_BYTES = 32 * 1024;

describe('temp disk full during a transcode [private postgres + redis]', () => {
  let database: PrivatePostgres;
  let redis: PrivateRedis;
  let server: TestServer;
  let dir: string;
  let workerTmp: string;
  let worker: WorkerProcess | undefined;
  let load: SteadyLoad | undefined;
  let lecture: string;
  const prefix = `fault${Date.now().toString(36)}`;
  const full = () => path.join(dir, 'disk-full');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lectio-diskfull-'));
    workerTmp = await mkdtemp(path.join(os.tmpdir(), 'lectio-diskfull-tmp-'));
    const [pg, cache, clip] = await Promise.all([
      startPrivatePostgres(),
      startPrivateRedis(),
      generateVideo(path.join(dir, 'lecture.mp4'), { seconds: 6, width: 640, height: 360 }),
    ]);
    database = pg;
    redis = cache;
    lecture = clip;
    const ffmpeg = execFileSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).trim();
    const wrapper = path.join(dir, 'ffmpeg');
    writeFileSync(
      wrapper,
      [
        '#!/bin/sh',
        `if [ -e '${full()}' ]; then exec prlimit --fsize=${FSIZE_BYTES} '${ffmpeg}' "$@"; fi`,
        `exec '${ffmpeg}' "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(wrapper, 0o755);
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      QUEUE_BACKEND: 'bullmq',
      SEED_DEMO_DATA: 'false',
      JOB_LEASE_SECONDS: '5',
    };
    server = await startTestServer({ ...env, TRUST_PROXY: 'true' }, { api: true, worker: false });
    worker = startWorker({
      ...env,
      LECTIO_DATA_DIR: server.dataDir,
      PUBLIC_URL: server.url,
      FFMPEG_PATH: wrapper,
      TMPDIR: workerTmp,
    });
  }, 90_000);
  afterAll(async () => {
    await load?.stop().catch(() => undefined);
    if (worker) await killGroup(worker, 'SIGKILL');
    await server?.stop();
    await redis?.stop();
    await database?.destroy();
    await rm(dir, { recursive: true, force: true });
    await rm(workerTmp, { recursive: true, force: true });
  });

  it('fails the video naming the disk, cleans up, and transcodes the next one', async () => {
    const instructor = await signedInUser(server, 'instructor');
    load = startSteadyLoad([{ name: 'catalog', url: `${server.url}/api/v1/courses` }], { concurrency: 2 });
    const store = localStoreOf(server.dataDir);
    const output = () => `--- worker ---\n${worker!.output()}`;

    writeFileSync(full(), '');
    const video = await uploadThroughApi(instructor.client, lecture);
    // A full disk is retried (another worker, or this one later, may have room): the test does not
    // wait out the backoff, it runs each retry as soon as it is scheduled.
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('video', { connection, prefix });
    try {
      const final = await waitUntil(
        async () => {
          for (const job of await queue.getDelayed()) await job.promote().catch(() => undefined);
          const v = await studioVideo(instructor.client, video.id);
          return v.status === 'failed' ? v : undefined;
        },
        `the video to fail\n${output()}`,
        60_000,
      );
      expect(final.failureCode).toBe('processing_error');
      expect(final.failureMessage).toMatch(/disk space/i);
      expect(final.masterUrl).toBeNull();
      expect(output()).toMatch(/disk_full|disk space/);
    } finally {
      await queue.close();
      connection.disconnect();
    }
    // No scratch folder left in the worker's temp dir, no output of the failed runs in storage.
    const scratch = async () => (await readdir(workerTmp)).filter((name) => name.startsWith('lectio-'));
    await waitUntil(
      async () => ((await scratch()).length === 0 ? true : undefined),
      `temp files to be removed: ${(await scratch()).join(', ')}`,
      10_000,
    );
    expect(await keysUnder(store, `${video.id}/`)).toEqual([]);

    // The same worker process, with room again, transcodes the next upload.
    rmSync(full());
    expect(existsSync(full())).toBe(false);
    const pid = worker!.child.pid;
    const next = await uploadThroughApi(instructor.client, lecture, 'next-lecture.mp4');
    const { final } = await watchUntilSettled(instructor.client, next.id, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${output()}`);
    });
    expect(final.status, output()).toBe('ready');
    expect(worker!.child.exitCode).toBeNull();
    expect(worker!.child.pid).toBe(pid);

    await sleep(500);
    const answers = await load.stop();
    load = undefined;
    expect(
      answers.filter((a) => a.status !== 200),
      summary(answers),
    ).toEqual([]);
  }, 120_000);
});
