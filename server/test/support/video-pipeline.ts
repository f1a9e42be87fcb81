import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { VideoRepository } from '../../src/modules/videos/repository.js';
import type { DatabasePort } from '../../src/platform/db/port.js';
import { LocalStorage } from '../../src/platform/storage/local.js';
import type { ApiClient } from './accounts.js';
import { unique } from './catalog.js';
import { waitUntil } from './servers.js';

/** The studio's view of a video, as the API returns it. */
export interface StudioVideo {
  id: string;
  status: 'uploading' | 'uploaded' | 'processing' | 'ready' | 'failed' | 'aborted';
  progressPercent: number;
  failureCode: string | null;
  failureMessage: string | null;
  originalFilename: string;
  durationSeconds: number | null;
  width: number | null;
  height: number | null;
  renditions: { name: string; width: number; height: number; bandwidth: number }[];
  /** Absolute playback URLs signed for the owner (see playback/token.ts); null until ready. */
  posterUrl: string | null;
  masterUrl: string | null;
  storyboardUrl: string | null;
  readyAt: string | null;
}

/** The published version a signed media URL points into: `…/videos/<id>/<version>/<file>`. */
export function versionOf(mediaUrl: string): string {
  const match = /\/videos\/[0-9a-f-]{36}\/([^/]+)\//.exec(new URL(mediaUrl).pathname);
  if (!match?.[1]) throw new Error(`not a signed media URL: ${mediaUrl}`);
  return match[1];
}

async function ok<T>(res: Response, what: string, status = 200): Promise<T> {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Uploads a file the way the studio does: start, part URLs, PUT each part, record it, complete. */
export async function uploadThroughApi(client: ApiClient, file: string, filename = path.basename(file)) {
  const bytes = await readFile(file);
  const started = await ok<{ video: StudioVideo; upload: { partSize: number; partCount: number } }>(
    await client.call('POST', '/studio/videos/uploads', {
      filename,
      size: bytes.length,
      contentType: 'video/mp4',
      fingerprint: `${filename}:${bytes.length}:${unique()}`,
    }),
    'start upload',
    201,
  );
  const { video, upload } = started;
  const partNumbers = Array.from({ length: upload.partCount }, (_, i) => i + 1);
  const { urls } = await ok<{ urls: { partNumber: number; url: string }[] }>(
    await client.call('POST', `/studio/videos/${video.id}/upload/part-urls`, { partNumbers }),
    'part urls',
  );
  for (const { partNumber, url } of urls) {
    const part = bytes.subarray((partNumber - 1) * upload.partSize, partNumber * upload.partSize);
    const put = await fetch(url, { method: 'PUT', body: new Uint8Array(part) });
    if (put.status !== 200) throw new Error(`part ${partNumber}: ${put.status} ${await put.text()}`);
    const recorded = await client.call('POST', `/studio/videos/${video.id}/upload/parts`, {
      partNumber,
      etag: put.headers.get('etag'),
      size: part.length,
    });
    if (recorded.status !== 204) throw new Error(`record part: ${recorded.status} ${await recorded.text()}`);
  }
  return ok<StudioVideo>(await client.call('POST', `/studio/videos/${video.id}/upload/complete`), 'complete');
}

export async function studioVideo(client: ApiClient, id: string): Promise<StudioVideo> {
  return ok<StudioVideo>(await client.call('GET', `/studio/videos/${id}`), 'get video');
}

/** Polls the studio API, as the page does, and keeps every state seen on the way. */
export async function watchUntilSettled(
  client: ApiClient,
  id: string,
  timeoutMs = 90_000,
): Promise<{ final: StudioVideo; seen: { status: string; percent: number }[] }> {
  const seen: { status: string; percent: number }[] = [];
  const final = await waitUntil(
    async () => {
      const video = await studioVideo(client, id);
      const last = seen.at(-1);
      if (!last || last.status !== video.status || last.percent !== video.progressPercent) {
        seen.push({ status: video.status, percent: video.progressPercent });
      }
      return video.status === 'ready' || video.status === 'failed' ? video : undefined;
    },
    `video ${id} to be ready or failed`,
    timeoutMs,
  );
  return { final, seen };
}

/**
 * Fetches a media file the way a player does: the signature in the URL is the authorisation, so no
 * bearer token is sent. A relative URL is taken on the client's server.
 */
export function fetchMedia(client: ApiClient, mediaUrl: string): Promise<Response> {
  return fetch(new URL(mediaUrl, client.baseUrl));
}

/**
 * Follows the master playlist to every rendition playlist and every segment, the way a player
 * would, and returns the files it fetched (relative to the version). Fails on any non-200.
 */
export async function fetchWholeLadder(client: ApiClient, masterUrl: string): Promise<string[]> {
  const base = masterUrl.slice(0, masterUrl.lastIndexOf('/') + 1);
  const fetched = ['master.m3u8'];
  const master = await fetchMedia(client, masterUrl);
  expect(master.status).toBe(200);
  const variants = (await master.text()).split('\n').filter((line) => line && !line.startsWith('#'));
  expect(variants.length).toBeGreaterThan(0);
  for (const variant of variants) {
    const playlist = await fetchMedia(client, base + variant);
    expect(playlist.status, variant).toBe(200);
    fetched.push(variant);
    const dir = variant.slice(0, variant.lastIndexOf('/') + 1);
    const segments = (await playlist.text()).split('\n').filter((line) => line && !line.startsWith('#'));
    expect(segments.length).toBeGreaterThan(0);
    for (const segment of segments) {
      const res = await fetchMedia(client, base + dir + segment);
      expect(res.status, dir + segment).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
      fetched.push(dir + segment);
    }
  }
  return fetched;
}

/** The test's own handle on a server's local object store (same folder, no HTTP). */
export function localStoreOf(dataDir: string): LocalStorage {
  return new LocalStorage({
    root: path.join(dataDir, 'storage'),
    publicUrl: 'http://127.0.0.1:1',
    signingSecret: 'test-side-handle-never-signs-anything',
  });
}

export async function keysUnder(storage: LocalStorage, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list('videos-processed', prefix, { cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
  } while (cursor);
  return keys;
}

/**
 * A video row and raw object as a completed upload leaves them, without the upload API: for inputs
 * the API itself refuses (zero bytes) and for jobs the test enqueues with its own options.
 */
export async function insertUploadedVideo(
  database: DatabasePort,
  storage: LocalStorage,
  ownerId: string,
  file: string,
): Promise<string> {
  const id = randomUUID();
  const rawKey = `${ownerId}/${id}/source`;
  const size = (await stat(file)).size;
  await storage.putObject('videos-raw', rawKey, createReadStream(file), { contentType: 'video/mp4' });
  const repository = new VideoRepository(database.primary);
  await repository.transaction((tx) =>
    repository.insert(tx, {
      id,
      ownerId,
      status: 'uploaded',
      originalFilename: path.basename(file),
      contentType: 'video/mp4',
      sizeBytes: size,
      fingerprint: `${path.basename(file)}:${size}:${unique()}`,
      rawKey,
      uploadId: null,
      partSize: Math.max(size, 1),
      partCount: 1,
      uploadedAt: new Date(),
    }),
  );
  return id;
}

/**
 * An ffmpeg that fails its next ladder run (the one with `-progress`) when told to, and is the
 * real ffmpeg otherwise: a transient failure in the middle of a real pipeline.
 */
export function flakyFfmpeg(dir: string): { path: string; failNextLadderRun(): void } {
  const realFfmpeg = execFileSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).trim();
  const marker = path.join(dir, 'fail-next-ladder-run');
  const script = path.join(dir, 'ffmpeg-flaky.sh');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'for arg in "$@"; do',
      `  if [ "$arg" = "-progress" ] && [ -f '${marker}' ]; then`,
      `    rm -f '${marker}'`,
      '    echo "simulated transient failure (test)" >&2',
      '    exit 1',
      '  fi',
      'done',
      `exec '${realFfmpeg}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return {
    path: script,
    failNextLadderRun: () => {
      writeFileSync(marker, '');
      expect(existsSync(marker)).toBe(true);
    },
  };
}
