import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import {
  buildHttpApp,
  buildServices,
  closePlatform,
  jobRegistrations,
  openPlatform,
  type Services,
} from '../container.js';
import { SearchDocumentIndexer } from '../modules/search/document.js';
import { seedDemoData } from '../modules/system/seed.js';
import { seedDemoVideos } from '../modules/videos/demo-video.js';
import { queueTranscodeScheduler } from '../modules/videos/jobs.js';
import { migrate } from '../platform/db/migrate.js';
import type { DatabasePort } from '../platform/db/port.js';
import { QUEUE_NAMES, type QueueName } from '../platform/queue/port.js';
import type { Logger } from '../platform/telemetry/logger.js';
import { startMetricsListener, type MetricsListener } from '../platform/telemetry/metrics-http.js';
import { ShutdownProgress } from './shutdown.js';

export interface ServeOptions {
  api: boolean;
  worker: boolean;
  /** Which queues this worker takes; all by default (e.g. `video` on a big transcoding machine). */
  queues?: QueueName[];
  /** The process's logger; by default one writing JSON lines to stdout at LOG_LEVEL. */
  logger?: Logger;
  /** How often a slow stop says what it still waits for (SHUTDOWN_REPORT_MS); tests shorten it. */
  shutdownReportMs?: number;
}

/** Well inside the time a stop is given (SHUTDOWN_TIMEOUT_SECONDS + 5 s), so it is seen before the exit. */
export const SHUTDOWN_REPORT_MS = 10_000;

export interface RunningServer {
  url: string | undefined;
  /** The live services, for in-process callers such as tests. */
  services: Services;
  /** The database, for in-process callers such as tests that check what a request stored. */
  database: DatabasePort;
  stop(): Promise<void>;
}

/** Starts the API, the worker, or both in one process (the embedded all-in-one). */
export async function serve(config: Config, options: ServeOptions): Promise<RunningServer> {
  const role = options.api && options.worker ? 'all-in-one' : options.api ? 'api' : 'worker';
  const platform = await openPlatform(config, `lectio serve (${role})`, options.logger);
  const { log } = platform;
  let app: FastifyInstance | undefined;
  let metricsListener: MetricsListener | undefined;
  let services: Services;
  try {
    const { applied } = await migrate(platform.database.primary);
    if (applied.length) log.info({ applied: applied.length }, 'database migrated');

    services = buildServices(platform);
    // Before seeding: the demo courses' covers go to storage.
    await platform.storage.ensureBuckets().catch((error: unknown) => {
      log.warn({ err: error }, 'object storage is not reachable yet; uploads will fail until it is');
    });
    if (options.api && config.seedDemoData) {
      // Only a brand-new install gets demo users; deleting them later keeps them deleted.
      if ((await services.users.count()) === 0) {
        const created = await seedDemoData({
          users: services.users,
          notifications: services.notifications,
          isProduction: config.isProduction,
          publicUrl: config.http.publicUrl,
          db: platform.database.primary,
          searchIndexer: new SearchDocumentIndexer(),
          uploadCover: (instructorId, courseId, image) =>
            services.studio.uploadCover({ userId: instructorId, role: 'instructor' }, courseId, image),
          seedVideos: !config.seedDemoVideo
            ? undefined
            : (instructorId) =>
                seedDemoVideos(instructorId, {
                  db: platform.database.primary,
                  storage: platform.storage,
                  ffmpegPath: config.video.ffmpegPath,
                  scheduler: queueTranscodeScheduler(platform.queue),
                }),
          log,
        });
        log.info({ users: created }, 'demo data seeded');
      }
    }

    if (options.worker) {
      const queues = (options.queues ?? [...QUEUE_NAMES]).filter((q) => config.queue.concurrency[q] > 0);
      await platform.queue.startWorkers(jobRegistrations(platform), {
        queues,
        concurrency: config.queue.concurrency,
      });
      log.info({ queues, backend: platform.queue.backend }, 'worker started');
    }
    if (options.api) {
      app = await buildHttpApp(platform, services);
      await app.listen({ host: config.http.host, port: config.http.port });
    }
    // Every role gets it: a worker has no public port, and its jobs and queues are what to watch.
    if (config.metrics.port !== undefined) {
      metricsListener = await startMetricsListener(platform.metrics, {
        host: config.http.host,
        port: config.metrics.port,
      });
      log.info({ port: metricsListener.port }, 'metrics listener started');
    }
  } catch (error) {
    await app?.close().catch(() => undefined);
    await metricsListener?.close().catch(() => undefined);
    await platform.queue.stopWorkers().catch(() => undefined);
    await closePlatform(platform);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    url: app ? config.http.publicUrl : undefined,
    services,
    database: platform.database,
    stop() {
      stopping ??= (async () => {
        log.info('shutting down: no new requests or jobs; finishing what is in flight');
        const progress = new ShutdownProgress();
        const stopReporting = progress.reportWhileWaiting(log, options.shutdownReportMs ?? SHUTDOWN_REPORT_MS);
        try {
          await progress.closing('HTTP requests in flight', () => app?.close());
          await progress.closing('metrics listener', () => metricsListener?.close());
          await progress.closing('jobs in flight', () => platform.queue.stopWorkers());
          await closePlatform(platform, progress);
        } finally {
          stopReporting();
        }
      })();
      return stopping;
    },
  };
}
