import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { StoragePort } from '../../platform/storage/port.js';
import { mediaTypeOf } from './media-types.js';

const BUCKET = 'videos-processed';
/** Enough to hide per-request latency to S3 without flooding a small machine's sockets. */
const UPLOAD_CONCURRENCY = 4;
const DELETE_CONCURRENCY = 8;

/** What storage (and so the CDN) keeps with each object; the playback media route sends the same. */
export function contentTypeOf(file: string): string {
  return mediaTypeOf(file) ?? 'application/octet-stream';
}

/** Output prefixes are `<videoId>/<version>/`: one per transcode run, never rewritten. */
export function versionPrefix(videoId: string, version: string): string {
  return `${videoId}/${version}/`;
}

/**
 * Moves a run's output into videos-processed and removes whole versions. Knows nothing of the row:
 * whether a version is published is the pipeline's business.
 */
export class VideoOutputStore {
  constructor(private readonly storage: StoragePort) {}

  /** Uploads every file (relative to outDir) under the version prefix; stops early when aborted. */
  async upload(
    videoId: string,
    version: string,
    outDir: string,
    files: readonly string[],
    options: { signal?: AbortSignal; onFileDone?: (done: number, total: number) => void } = {},
  ): Promise<void> {
    const prefix = versionPrefix(videoId, version);
    let done = 0;
    await forEachLimited(files, UPLOAD_CONCURRENCY, async (file) => {
      options.signal?.throwIfAborted();
      const key = prefix + file.split(path.sep).join('/');
      await this.storage.putObject(BUCKET, key, createReadStream(path.join(outDir, file)), {
        contentType: contentTypeOf(file),
      });
      options.onFileDone?.(++done, files.length);
    });
  }

  /** Deletes every object under the version prefix, page by page; returns how many went. */
  async removeVersion(videoId: string, version: string): Promise<number> {
    const prefix = versionPrefix(videoId, version);
    let removed = 0;
    let cursor: string | undefined;
    do {
      const page = await this.storage.list(BUCKET, prefix, { limit: 1000, cursor });
      await forEachLimited(page.objects, DELETE_CONCURRENCY, (object) => this.storage.deleteObject(BUCKET, object.key));
      removed += page.objects.length;
      cursor = page.cursor;
    } while (cursor);
    return removed;
  }

  async listVersion(videoId: string, version: string): Promise<string[]> {
    const prefix = versionPrefix(videoId, version);
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.storage.list(BUCKET, prefix, { limit: 1000, cursor });
      keys.push(...page.objects.map((o) => o.key.slice(prefix.length)));
      cursor = page.cursor;
    } while (cursor);
    return keys;
  }
}

const SEGMENT = /^seg_(\d+)\.ts$/;
const POLL_MS = 1_000;

/**
 * Ships segments while ffmpeg is still encoding, so a long lecture's upload overlaps its encode
 * instead of following it. ffmpeg writes each rung's segments one after another and opens the
 * next only once the previous is closed: every segment but a rung's newest is complete. (The VOD
 * playlist cannot tell: ffmpeg writes it only at the end.) Whatever is left goes in finish().
 */
export class ProgressiveUpload {
  readonly #shipped = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> = Promise.resolve();
  #stopped = false;
  #failure: unknown;

  constructor(
    private readonly outputs: VideoOutputStore,
    private readonly target: { videoId: string; version: string; outDir: string },
    private readonly signal?: AbortSignal,
  ) {}

  start(): void {
    this.#schedule();
  }

  /** Uploads every file not shipped yet; throws the first upload failure, early or late. */
  async finish(files: readonly string[], onFileDone?: (done: number, total: number) => void): Promise<void> {
    await this.#stop();
    if (this.#failure !== undefined) throw this.#failure;
    const remaining = files.filter((file) => !this.#shipped.has(file));
    const already = files.length - remaining.length;
    await this.outputs.upload(this.target.videoId, this.target.version, this.target.outDir, remaining, {
      signal: this.signal,
      onFileDone: onFileDone ? (done) => onFileDone(already + done, files.length) : undefined,
    });
  }

  /** Stops shipping and waits for what is in flight, so nothing lands after the caller's clean-up. */
  async abandon(): Promise<void> {
    await this.#stop();
  }

  async #stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#tick;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#shipCompleted().then(() => this.#schedule());
    }, POLL_MS);
  }

  async #shipCompleted(): Promise<void> {
    if (this.#stopped || this.signal?.aborted) return;
    try {
      const ready = (await completedSegments(this.target.outDir)).filter((file) => !this.#shipped.has(file));
      if (ready.length === 0) return;
      await this.outputs.upload(this.target.videoId, this.target.version, this.target.outDir, ready, {
        signal: this.signal,
      });
      for (const file of ready) this.#shipped.add(file);
    } catch (error) {
      // A file gone between listing and reading: the transcode failed and cleaned up; finish() is not coming.
      if (errorCode(error) === 'ENOENT') return;
      this.#failure = error;
      this.#stopped = true;
    }
  }
}

/** `<rung>/seg_N.ts` of every rung, all but each rung's newest, relative to outDir with '/'. */
async function completedSegments(outDir: string): Promise<string[]> {
  const complete: string[] = [];
  for (const rung of await readdir(outDir, { withFileTypes: true })) {
    if (!rung.isDirectory()) continue;
    const segments = (await readdir(path.join(outDir, rung.name)))
      .map((name) => ({ name, index: Number(SEGMENT.exec(name)?.[1] ?? NaN) }))
      .filter((segment) => Number.isInteger(segment.index))
      .sort((a, b) => a.index - b.index);
    for (const segment of segments.slice(0, -1)) complete.push(`${rung.name}/${segment.name}`);
  }
  return complete;
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Runs `work` over the items with at most `limit` in flight; the first failure stops new starts. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  const results = await Promise.allSettled(lanes);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
