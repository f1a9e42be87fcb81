import { z } from 'zod';
import type { Config } from '../../config.js';
import type { CachePort } from '../../platform/cache/port.js';
import type { CdnPort } from '../../platform/cdn/port.js';
import type { Db } from '../../platform/db/port.js';
import { defineJob, registerJob, type QueuePort } from '../../platform/queue/port.js';
import type { StoragePort } from '../../platform/storage/port.js';
import type { TranscodeMetrics } from '../../platform/telemetry/metrics.js';
import { CatalogCache } from '../catalog/invalidation.js';
import { CatalogRepository } from '../catalog/repository.js';
import { NotificationService } from '../notifications/service.js';
import { RawUploadArchiver } from './archive.js';
import { VideoMailer } from './mails.js';
import { TranscodePipeline, type PipelineLogger, type Transcoder } from './pipeline.js';
import { VideoPipelineRepository } from './pipeline-repository.js';
import type { TranscodeScheduler } from './ports.js';
import { VideoOutputStore } from './publisher.js';
import { VideoRepository } from './repository.js';

const versionName = z.string().regex(/^v[0-9a-z]{1,40}$/, 'a version id such as v1a2b3c');

/**
 * The heart of the pipeline, on its own queue so transcoding machines scale apart from mail and
 * statistics. Retries cover what a second try can fix (a killed worker, a full disk, a storage
 * hiccup); a refused file fails at once, since no retry changes its bytes.
 */
export const transcodeVideoJob = defineJob({
  name: 'videos.transcode',
  queue: 'video',
  priority: 'high',
  attempts: 3,
  backoffMs: 30_000,
  payload: z.object({ videoId: z.string().uuid() }),
});

/**
 * Removes a replaced version's files, late enough (VIDEO_OLD_VERSION_RETENTION_HOURS) that players
 * mid-stream and CDN caches are done with them.
 */
export const removeVideoVersionJob = defineJob({
  name: 'videos.remove-version',
  queue: 'default',
  priority: 'low',
  payload: z.object({ videoId: z.string().uuid(), version: versionName }),
});

/** Daily, off-peak: raw uploads past VIDEO_RAW_COLD_AFTER_DAYS go to cold storage. */
export const archiveRawUploadsJob = defineJob({
  name: 'videos.archive-raw',
  queue: 'default',
  priority: 'low',
  payload: z.object({}),
  repeat: { cron: '30 3 * * *', payload: {} },
});

export const videoJobs = [transcodeVideoJob, removeVideoVersionJob, archiveRawUploadsJob];

/** How the upload side schedules a transcode: one job per video while one is pending. */
export function queueTranscodeScheduler(queue: QueuePort): TranscodeScheduler {
  return {
    async scheduleTranscode(videoId: string): Promise<void> {
      await queue.enqueue(transcodeVideoJob, { videoId }, { dedupeKey: `transcode:${videoId}` });
    },
  };
}

export interface VideoJobDependencies {
  db: Db;
  cache: CachePort;
  queue: QueuePort;
  storage: StoragePort;
  cdn: CdnPort;
  video: Config['video'];
  publicUrl: string;
  logger: PipelineLogger;
  /** Tests only: replaces the one-pass ladder. */
  transcode?: Transcoder;
  transcodeMetrics?: TranscodeMetrics;
}

export function videoJobHandlers(deps: VideoJobDependencies) {
  const repository = new VideoPipelineRepository(deps.db, new VideoRepository(deps.db));
  const outputs = new VideoOutputStore(deps.storage);
  const catalogRepository = new CatalogRepository(deps.db, deps.db);
  const pipeline = new TranscodePipeline(
    {
      repository,
      outputs,
      storage: deps.storage,
      cdn: deps.cdn,
      mailer: new VideoMailer(new NotificationService(deps.queue), repository, deps.publicUrl),
      catalog: new CatalogCache(deps.cache, (courseId) => catalogRepository.slugOf(courseId), deps.logger),
      scheduleVersionRemoval: async (videoId, version) => {
        await deps.queue.enqueue(
          removeVideoVersionJob,
          { videoId, version },
          { delayMs: deps.video.oldVersionRetentionMs, dedupeKey: `remove-version:${videoId}:${version}` },
        );
      },
      video: deps.video,
      logger: deps.logger,
      transcode: deps.transcode,
      metrics: deps.transcodeMetrics,
    },
    transcodeVideoJob.attempts,
  );
  const archiver = new RawUploadArchiver(repository, deps.storage, deps.logger);

  return [
    registerJob(transcodeVideoJob, (payload, context) => pipeline.run(payload.videoId, context)),
    registerJob(removeVideoVersionJob, async ({ videoId, version }) => {
      const video = await repository.find(videoId);
      // The published version, or the one a run is writing: never removed from under a player or a run.
      if (video && (video.version === version || video.processingVersion === version)) {
        deps.logger.warn({ videoId, version }, 'refused to remove the current version of a video');
        return;
      }
      const removed = await outputs.removeVersion(videoId, version);
      deps.logger.info({ videoId, version, removed }, 'removed a replaced video version');
    }),
    registerJob(archiveRawUploadsJob, async () => {
      const cutoff = new Date(Date.now() - deps.video.rawColdAfterDays * 86_400_000);
      await archiver.archiveUploadedBefore(cutoff);
    }),
  ];
}
