import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline as pipeStreams } from 'node:stream/promises';
import type { Config } from '../../config.js';
import type { CdnPort } from '../../platform/cdn/port.js';
import { transcodeToHls } from '../../platform/media/video/transcode.js';
import {
  MediaRejectedError,
  TranscodeFailedError,
  type TranscodeOptions,
  type TranscodeResult,
} from '../../platform/media/video/types.js';
import type { JobContext } from '../../platform/queue/port.js';
import type { StoragePort } from '../../platform/storage/port.js';
import type { TranscodeMetrics } from '../../platform/telemetry/metrics.js';
import type { CatalogInvalidator } from '../catalog/invalidation.js';
import { failureMessage, type VideoFailureCode, type VideoMailer } from './mails.js';
import type { VideoPipelineRepository } from './pipeline-repository.js';
import { ProgressiveUpload, type VideoOutputStore } from './publisher.js';

/** The slice of a pino logger the pipeline uses. */
export interface PipelineLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export type Transcoder = (input: string, outDir: string, options: TranscodeOptions) => Promise<TranscodeResult>;

export interface TranscodePipelineDependencies {
  repository: VideoPipelineRepository;
  outputs: VideoOutputStore;
  storage: StoragePort;
  cdn: CdnPort;
  mailer: VideoMailer;
  catalog: CatalogInvalidator;
  /** Enqueues the delayed removal of a version a publish replaced. */
  scheduleVersionRemoval(videoId: string, version: string): Promise<void>;
  video: Config['video'];
  logger: PipelineLogger;
  /** The one-pass ladder; replaceable so a test can make a run fail where it wants. */
  transcode?: Transcoder;
  /** Where runs make their scratch folders (the raw download and ffmpeg's output). */
  scratchRoot?: string;
  /** Told each finished encode's speed (media seconds per wall second). */
  metrics?: TranscodeMetrics;
}

/** Share of the progress bar the encode takes; the upload of its output fills the rest up to 99. */
const ENCODE_SHARE = 90;
/** Progress reaches the row at most this often, or sooner after a jump of PROGRESS_STEP points. */
const PROGRESS_INTERVAL_MS = 2_000;
const PROGRESS_STEP = 5;

/** Scratch folders carry the worker's pid, so a later worker can tell a dead one's leftovers. */
const SCRATCH_PREFIX = 'lectio-transcode-';

/**
 * A worker killed mid-run leaves its scratch folder (the raw download, perhaps gigabytes) behind.
 * The first run of a new worker removes those of processes that no longer exist; folders of live
 * workers on the same machine are left alone.
 */
async function sweepOrphanedScratch(root: string, logger: PipelineLogger): Promise<void> {
  const pattern = new RegExp(`^${SCRATCH_PREFIX}(\\d+)-`);
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(pattern.exec(name)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid === process.pid || isRunning(pid)) continue;
    await rm(path.join(root, name), { recursive: true, force: true }).then(
      () => logger.info({ folder: name }, 'removed the scratch folder of a worker that is gone'),
      (error: unknown) => logger.warn({ err: error, folder: name }, 'could not remove an orphaned scratch folder'),
    );
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

/** `v` + base36 time + random: sorts by creation, and no two runs share a prefix. */
export function newVersionId(): string {
  return `v${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/**
 * The paths a publish changes, for the CDN: everything of the video as CloudFront caches it, under
 * the URI its playback function rewrites a signed path to, the object's key `<videoId>/<rest>`
 * (docs/design/playback.md). New versions have new paths anyway; this clears a replaced one.
 */
export function mediaPathsOf(videoId: string): string[] {
  return [`/${videoId}/*`];
}

/**
 * One transcode run: raw object → scratch file → one-pass HLS ladder → every file under a fresh
 * version prefix → one guarded UPDATE that publishes it. Until that UPDATE, players only ever see
 * the previous version (or nothing): a crash anywhere leaves unreferenced files under
 * `processingVersion`, which the next run deletes before it starts.
 */
export class TranscodePipeline {
  readonly #transcode: Transcoder;
  #swept: Promise<void> | undefined;

  constructor(
    private readonly deps: TranscodePipelineDependencies,
    /** The job's total attempts: the last one marks the video failed instead of leaving it to a retry. */
    private readonly attempts: number,
  ) {
    this.#transcode = deps.transcode ?? transcodeToHls;
  }

  async run(videoId: string, context: JobContext): Promise<void> {
    const { repository, outputs, logger } = this.deps;
    const video = await repository.find(videoId);
    if (!video || video.status === 'aborted' || video.status === 'uploading') {
      logger.info({ videoId, status: video?.status ?? 'gone' }, 'transcode skipped: nothing uploaded to process');
      return;
    }
    if (video.status === 'ready' && video.version) return;

    // A crashed or abandoned run's files: nothing points at them, and nothing will.
    if (video.processingVersion) {
      const removed = await outputs.removeVersion(videoId, video.processingVersion);
      logger.info({ videoId, version: video.processingVersion, removed }, 'removed an unfinished run’s output');
    }
    const version = newVersionId();
    if (!(await repository.startProcessing(videoId, video.processingVersion, version))) {
      logger.warn({ videoId }, 'transcode skipped: the video changed while the run was starting');
      return;
    }

    // Stops ffmpeg when the worker shuts down, or when the row shows another run took over.
    const superseded = new AbortController();
    const signal = AbortSignal.any([context.signal, superseded.signal]);
    const progress = new ProgressReporter(async (percent) => {
      await context.reportProgress(percent).catch(() => undefined);
      if (!(await repository.reportProgress(videoId, version, percent))) {
        superseded.abort(new Error('another run owns the video now'));
      }
    }, logger);

    const scratchRoot = this.deps.scratchRoot ?? os.tmpdir();
    this.#swept ??= sweepOrphanedScratch(scratchRoot, logger);
    await this.#swept;
    const scratch = await mkdtemp(path.join(scratchRoot, `${SCRATCH_PREFIX}${process.pid}-`));
    const outDir = path.join(scratch, 'out');
    const shipping = new ProgressiveUpload(outputs, { videoId, version, outDir }, signal);
    try {
      const source = path.join(scratch, 'source');
      await mkdir(outDir);
      await pipeStreams(await this.deps.storage.getObject('videos-raw', video.rawKey), createWriteStream(source), {
        signal,
      });

      shipping.start();
      const encodeStarted = performance.now();
      const result = await this.#transcode(source, outDir, {
        tools: { ffmpegPath: this.deps.video.ffmpegPath, ffprobePath: this.deps.video.ffprobePath },
        limits: { maxDurationSeconds: this.deps.video.maxDurationSeconds, maxLongSide: this.deps.video.maxLongSide },
        timeoutMs: this.deps.video.transcodeTimeoutMs,
        preset: this.deps.video.preset,
        signal,
        onProgress: (percent) => progress.report((percent * ENCODE_SHARE) / 100),
        logger,
        tempDir: scratch,
      });
      this.deps.metrics?.observeTranscode(result.durationSeconds, (performance.now() - encodeStarted) / 1000);

      await shipping.finish(result.files, (done, total) =>
        progress.report(ENCODE_SHARE + ((99 - ENCODE_SHARE) * done) / total),
      );
      await progress.settle();
      signal.throwIfAborted();

      const outcome = await repository.publish(videoId, version, {
        durationSeconds: result.durationSeconds,
        width: result.probe.video.displayWidth,
        height: result.probe.video.displayHeight,
        renditions: result.renditions.map(({ segmentCount: _segmentCount, ...rendition }) => rendition),
        poster: result.poster,
        storyboard: result.storyboard,
      });
      if (!outcome) {
        logger.warn({ videoId, version }, 'transcode finished but the video changed meanwhile; output discarded');
        await outputs.removeVersion(videoId, version);
        return;
      }
      logger.info(
        { videoId, version, renditions: result.renditions.length, realtimeFactor: result.realtimeFactor },
        'video published',
      );
      await this.#afterPublish(video, version, outcome);
    } catch (error) {
      await shipping.abandon();
      await progress.settle();
      if (context.signal.aborted) {
        // Shutting down (or the lease moved the job elsewhere): the next run cleans up after this one.
        throw error;
      }
      if (superseded.signal.aborted) {
        logger.warn({ videoId, version }, 'transcode stopped: another run owns the video now');
        await outputs.removeVersion(videoId, version).catch(() => undefined);
        return;
      }
      await this.#removeRunOutput(videoId, version);
      if (error instanceof MediaRejectedError) {
        logger.info({ videoId, code: error.code, reason: error.message }, 'video refused');
        await this.#fail(video, version, error.code, error.message);
        return;
      }
      if (context.attempt < this.attempts) {
        logger.warn({ err: error, videoId, attempt: context.attempt }, 'transcode failed; it will be retried');
        throw error;
      }
      logger.error({ err: error, videoId, attempt: context.attempt }, 'transcode failed for good');
      // A cause the instructor cannot fix but an administrator can is named in the message.
      const cause =
        error instanceof TranscodeFailedError && error.code === 'disk_full'
          ? ' Cause: the server ran out of disk space while converting it.'
          : '';
      await this.#fail(video, version, 'processing_error', `${failureMessage('processing_error')}${cause}`);
      throw error;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Past the commit the video is published: these are best effort, logged, never a job failure. */
  async #afterPublish(
    video: { id: string; ownerId: string; originalFilename: string },
    version: string,
    outcome: { replacedVersion: string | null; courseIds: string[] },
  ): Promise<void> {
    const { logger } = this.deps;
    const steps: [string, () => Promise<void>][] = [
      [
        'scheduling the removal of the replaced version',
        async () => {
          if (outcome.replacedVersion) await this.deps.scheduleVersionRemoval(video.id, outcome.replacedVersion);
        },
      ],
      ['invalidating the CDN', () => this.deps.cdn.invalidate(mediaPathsOf(video.id))],
      [
        'renewing the cached course pages',
        async () => {
          for (const courseId of outcome.courseIds) await this.deps.catalog.courseChanged(courseId);
        },
      ],
      ['mailing the instructor', () => this.deps.mailer.ready(video, version)],
    ];
    for (const [what, step] of steps) {
      await step().catch((error: unknown) =>
        logger.warn({ err: error, videoId: video.id }, `after publish: ${what} failed`),
      );
    }
  }

  async #fail(
    video: { id: string; ownerId: string; originalFilename: string },
    version: string,
    code: VideoFailureCode,
    message: string,
  ): Promise<void> {
    if (!(await this.deps.repository.markFailed(video.id, version, code, message))) return;
    await this.deps.mailer
      .failed(video, code, message, version)
      .catch((error: unknown) => this.deps.logger.warn({ err: error, videoId: video.id }, 'failure mail not queued'));
  }

  async #removeRunOutput(videoId: string, version: string): Promise<void> {
    await this.deps.outputs.removeVersion(videoId, version).catch((error: unknown) => {
      // The row still names the version (or a retry will): the next run removes it.
      this.deps.logger.warn({ err: error, videoId, version }, 'could not remove a failed run’s output yet');
    });
  }
}

/**
 * Throttles progress to the row: ffmpeg reports many times a second, the studio polls every few.
 * Writes never overlap, and the last value reported is the last one written.
 */
class ProgressReporter {
  #written = 0;
  #writtenAt = 0;
  #pending: number | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(
    private readonly write: (percent: number) => Promise<void>,
    private readonly logger: PipelineLogger,
  ) {}

  report(raw: number): void {
    const percent = Math.max(0, Math.min(99, Math.floor(raw)));
    if (percent <= this.#written) return;
    const due = Date.now() - this.#writtenAt >= PROGRESS_INTERVAL_MS || percent - this.#written >= PROGRESS_STEP;
    if (!due) return;
    this.#pending = percent;
    this.#inFlight ??= this.#drain();
  }

  /** Waits for the write in flight, so nothing lands after the publish or the failure. */
  async settle(): Promise<void> {
    this.#pending = undefined;
    await this.#inFlight;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending !== undefined) {
        const percent = this.#pending;
        this.#pending = undefined;
        this.#written = percent;
        this.#writtenAt = Date.now();
        await this.write(percent).catch((error: unknown) =>
          this.logger.warn({ err: error, percent }, 'progress not recorded'),
        );
      }
    } finally {
      this.#inFlight = undefined;
    }
  }
}
