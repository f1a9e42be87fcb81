import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VideoRepository } from '../src/modules/videos/repository.js';
import { ApiClient } from './support/accounts.js';
import { PASSWORD, unique } from './support/catalog.js';
import { createPostgresDatabase } from './support/databases.js';
import { generateVideo } from './support/media.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';
import {
  fetchWholeLadder,
  keysUnder,
  localStoreOf,
  studioVideo,
  uploadThroughApi,
  versionOf,
  watchUntilSettled,
} from './support/video-pipeline.js';

/**
 * A worker process killed (SIGKILL, with its ffmpeg: a machine or container dying) in the middle
 * of a transcode. The API runs in this process; the worker is `lectio serve --worker` in its own
 * process group, over the same PostgreSQL, queue and storage folder. Nothing of the killed run
 * may ever be playable, and after a restart the video still ends ready, under a new version.
 */

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../src/main/cli.ts', import.meta.url));
/** Short, so the killed worker's job comes back within seconds. */
const LEASE_SECONDS = '2';

interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<void>;
  output: () => string;
}

function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--worker'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so the kill takes ffmpeg down with it, as a crash of the machine would.
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, output: () => output.slice(-20_000) };
}

async function killGroup(worker: WorkerProcess, signal: NodeJS.Signals): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null || !worker.child.pid) return;
  try {
    process.kill(-worker.child.pid, signal);
  } catch {
    return; // already gone
  }
  await worker.exited;
}

let mediaDir: string;
let lecture: string;

beforeAll(async () => {
  mediaDir = await mkdtemp(path.join(os.tmpdir(), 'lectio-crash-media-'));
  // 20 s of 720p: three rungs and about ten seconds of encoding on a small machine, time enough
  // to kill the worker after its first segments are in storage and before it publishes.
  lecture = await generateVideo(path.join(mediaDir, 'long-lecture.mp4'), { seconds: 20, width: 1280, height: 720 });
}, 120_000);
afterAll(async () => {
  await rm(mediaDir, { recursive: true, force: true });
});

const BACKENDS: [string, () => Record<string, string>][] = [
  ['bullmq on postgres + redis', () => ({ REDIS_URL: inject('redisUrl') })],
  ['embedded queue on postgres', () => ({ QUEUE_BACKEND: 'embedded' })],
];

describe.each(BACKENDS)('a worker killed mid-transcode [%s]', (_name, backendEnv) => {
  let server: TestServer;
  let disposeDatabase: () => Promise<void>;
  let workerEnv: Record<string, string>;
  let workerTmp: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    const database = await createPostgresDatabase({ migrate: false });
    disposeDatabase = () => database.dispose();
    const env = {
      DATABASE_URL: database.url!,
      REDIS_PREFIX: `t${unique()}`,
      TRUST_PROXY: 'true',
      JOB_LEASE_SECONDS: LEASE_SECONDS,
      SEED_DEMO_DATA: 'false',
      ...backendEnv(),
    };
    server = await startTestServer(env, { api: true, worker: false });
    // A killed worker cannot remove its scratch folder (the raw download): keep it where the test can.
    workerTmp = await mkdtemp(path.join(os.tmpdir(), 'lectio-crash-worker-tmp-'));
    workerEnv = {
      ...env,
      LECTIO_DATA_DIR: server.dataDir,
      LOG_LEVEL: 'info',
      PUBLIC_URL: server.url,
      TMPDIR: workerTmp,
    };
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => killGroup(w, 'SIGKILL')));
    await server?.stop();
    await disposeDatabase?.();
    if (workerTmp) await rm(workerTmp, { recursive: true, force: true });
  });

  it('publishes nothing of the killed run; after a restart the video is ready under a new version', async () => {
    const email = `crash-${unique()}@example.com`;
    await server.services.users.createUser({ email, password: PASSWORD, displayName: 'Crash', role: 'instructor' });
    const instructor = new ApiClient(server.url, `10.52.0.${Math.floor(Math.random() * 250) + 1}`);
    expect((await instructor.login(email, PASSWORD)).status).toBe(200);
    const store = localStoreOf(server.dataDir);
    const rows = new VideoRepository(server.database.primary);
    const describeWorkers = () => workers.map((w, i) => `--- worker ${i + 1} ---\n${w.output()}`).join('\n');

    const video = await uploadThroughApi(instructor, lecture);
    const first = startWorker(workerEnv);
    workers.push(first);

    // Mid-run: processing, the percent moving, and part of the output already in storage.
    const crashed = await waitUntil(
      async () => {
        const row = await rows.byId(video.id);
        if (row?.status !== 'processing' || row.progressPercent <= 0 || !row.processingVersion) return undefined;
        const keys = await keysUnder(store, `${video.id}/${row.processingVersion}/`);
        return keys.length > 0 ? { version: row.processingVersion, keys } : undefined;
      },
      `the first worker to be mid-transcode\n${describeWorkers()}`,
      120_000,
    );
    await killGroup(first, 'SIGKILL');
    const scratchOf = async (pid: number | undefined) =>
      (await readdir(workerTmp)).filter((name) => name.startsWith(`lectio-transcode-${pid}-`));
    // The killed worker could not clean up its scratch folder (the raw download and ffmpeg's output).
    expect(await scratchOf(first.child.pid)).toHaveLength(1);

    const afterKill = await rows.byId(video.id);
    expect(afterKill, describeWorkers()).toMatchObject({ status: 'processing', version: null });
    expect(afterKill!.processingVersion).toBe(crashed.version);
    // What the killed run stored is there, and none of it reaches a player, not even its owner.
    const stored = await keysUnder(store, `${video.id}/${crashed.version}/`);
    expect(stored.length).toBeGreaterThanOrEqual(crashed.keys.length);
    // Players only reach files through URLs the API signs, and it signs none while nothing is published.
    expect(await studioVideo(instructor, video.id)).toMatchObject({
      masterUrl: null,
      posterUrl: null,
      storyboardUrl: null,
    });

    const second = startWorker(workerEnv);
    workers.push(second);
    const { final } = await watchUntilSettled(instructor, video.id, 150_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${describeWorkers()}`);
    });
    expect(final.status, describeWorkers()).toBe('ready');
    const version = versionOf(final.masterUrl!);
    expect(version).not.toBe(crashed.version);
    expect(final.renditions.map((r) => r.name)).toEqual(['720p', '480p', '360p']);

    // The crashed run's files are gone; only the published version is stored, all of it playable.
    expect(await keysUnder(store, `${video.id}/${crashed.version}/`)).toEqual([]);
    const keys = await keysUnder(store, `${video.id}/`);
    expect(
      keys.every((k) => k.startsWith(`${video.id}/${version}/`)),
      keys.join('\n'),
    ).toBe(true);
    const fetched = await fetchWholeLadder(instructor, final.masterUrl!);
    expect(fetched.length).toBeGreaterThan(3 * 4);
    // The next worker removed what the killed one left in its temp folder.
    expect(await scratchOf(first.child.pid)).toEqual([]);

    await killGroup(second, 'SIGTERM');
  }, 300_000);
});
