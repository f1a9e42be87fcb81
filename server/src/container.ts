import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Config } from './config.js';
import { limitConcurrentHashes } from './modules/users/passwords.js';
import { buildApp } from './http/app.js';
import { adminRoutes } from './modules/admin/routes.js';
import { ViewCountRepository } from './modules/analytics/repository.js';
import { analyticsRoutes } from './modules/analytics/routes.js';
import { ViewCounterService } from './modules/analytics/service.js';
import { coverImage } from './modules/catalog/views.js';
import { SeoRepository } from './modules/seo/repository.js';
import { seoRoutes } from './modules/seo/routes.js';
import { SeoService } from './modules/seo/service.js';
import { AdminUserService } from './modules/admin/service.js';
import { jobMonitorRoutes } from './modules/job-monitor/routes.js';
import { JobMonitorService } from './modules/job-monitor/service.js';
import { AccountCache } from './modules/auth/account-cache.js';
import { LoginGuard } from './modules/auth/login-guard.js';
import { PrincipalService } from './modules/auth/principals.js';
import { AuthRepository } from './modules/auth/repository.js';
import { authRoutes } from './modules/auth/routes.js';
import { AuthService } from './modules/auth/service.js';
import { queueCertificateIssuing } from './modules/certificates/jobs.js';
import { CertificateRepository } from './modules/certificates/repository.js';
import { certificateRoutes } from './modules/certificates/routes.js';
import { CertificateService } from './modules/certificates/service.js';
import { ProgressRepository } from './modules/progress/repository.js';
import { progressRoutes } from './modules/progress/routes.js';
import { ProgressService } from './modules/progress/service.js';
import { deriveLocalSigningKey, TokenService } from './modules/auth/tokens.js';
import { devMailboxRoutes } from './modules/devtools/routes.js';
import { healthRoutes } from './modules/health/routes.js';
import { HealthService } from './modules/health/service.js';
import { ALL_JOB_DECLARATIONS, buildJobRegistrations } from './modules/jobs.js';
import { ApplicationRepository } from './modules/instructor-applications/repository.js';
import { InstructorApplicationService } from './modules/instructor-applications/service.js';
import { NotificationService } from './modules/notifications/service.js';
import { paymentsAdminRoutes } from './modules/payments/admin-routes.js';
import { CouponRepository } from './modules/payments/coupon-repository.js';
import { CouponService } from './modules/payments/coupon-service.js';
import { queueOrderFollowUps } from './modules/payments/jobs.js';
import { OrderLedger } from './modules/payments/ledger.js';
import { OrderService } from './modules/payments/order-service.js';
import { RefundRepository } from './modules/payments/refund-repository.js';
import { refundRequestRoutes } from './modules/payments/refund-routes.js';
import { RefundService } from './modules/payments/refund-service.js';
import { OrderRepository } from './modules/payments/repository.js';
import { RevenueRepository } from './modules/payments/revenue-repository.js';
import { RevenueService } from './modules/payments/revenue-service.js';
import { orderRoutes, paymentWebhookRoutes } from './modules/payments/routes.js';
import { paymentsStudioRoutes } from './modules/payments/studio-routes.js';
import { WebhookService } from './modules/payments/webhook-service.js';
import { AccountService } from './modules/users/account-service.js';
import { UserRepository } from './modules/users/repository.js';
import { meRoutes } from './modules/users/routes.js';
import { UserService } from './modules/users/service.js';
import { CatalogRepository } from './modules/catalog/repository.js';
import { CatalogCache, type CatalogInvalidator } from './modules/catalog/invalidation.js';
import { CourseAdminService } from './modules/catalog/admin-service.js';
import { CourseWriter } from './modules/catalog/course-writer.js';
import { courseAdminRoutes } from './modules/catalog/routes-admin.js';
import { catalogRoutes } from './modules/catalog/routes-public.js';
import { studioRoutes } from './modules/catalog/routes-studio.js';
import { queueTranscodeScheduler } from './modules/videos/jobs.js';
import { VideoRepository } from './modules/videos/repository.js';
import { videoStudioRoutes } from './modules/videos/routes-studio.js';
import { VideoUploadService } from './modules/videos/upload-service.js';
import { VideoService } from './modules/videos/video-service.js';
import { CaptionService } from './modules/playback/caption-service.js';
import { PlaybackMediaService } from './modules/playback/media-service.js';
import { playbackMediaRoutes } from './modules/playback/media-routes.js';
import { PlaybackRepository } from './modules/playback/repository.js';
import { playbackRoutes } from './modules/playback/routes.js';
import { PlaybackService } from './modules/playback/service.js';
import { PlaybackUrlSigner } from './modules/playback/signer.js';
import { playbackSigningKey } from './modules/playback/token.js';
import { CatalogService } from './modules/catalog/service.js';
import { StudioRepository } from './modules/catalog/studio-repository.js';
import { StudioService } from './modules/catalog/studio-service.js';
import { EnrollmentAccessService } from './modules/enrollments/access-service.js';
import { EnrollmentRepository } from './modules/enrollments/repository.js';
import { enrollmentRoutes } from './modules/enrollments/routes.js';
import { EnrollmentService, type EnrollmentRevocationListener } from './modules/enrollments/service.js';
import { ReviewRepository } from './modules/reviews/repository.js';
import { reviewRoutes } from './modules/reviews/routes.js';
import { ReviewService } from './modules/reviews/service.js';
import { SearchDocumentIndexer } from './modules/search/document.js';
import { SearchRepository } from './modules/search/repository.js';
import { searchRoutes } from './modules/search/routes.js';
import { SearchService } from './modules/search/service.js';
import { createCache } from './platform/cache/factory.js';
import { createCdn } from './platform/cdn/factory.js';
import type { CdnPort } from './platform/cdn/port.js';
import { SharpImageProcessor } from './platform/media/images.js';
import type { CachePort } from './platform/cache/port.js';
import { ResilientCounters } from './platform/cache/resilient.js';
import { createDatabase } from './platform/db/factory.js';
import type { DatabasePort } from './platform/db/port.js';
import { createMail } from './platform/mail/factory.js';
import { OutboxReader } from './platform/mail/outbox.js';
import type { MailPort } from './platform/mail/port.js';
import { createQueue } from './platform/queue/factory.js';
import type { QueuePort } from './platform/queue/port.js';
import { assertEveryJobHasHandler } from './platform/queue/registry.js';
import { createPaymentGateway } from './platform/payments/factory.js';
import type { PaymentGatewayPort } from './platform/payments/port.js';
import { TestGateway } from './platform/payments/test-gateway.js';
import { testGatewayRoutes } from './platform/payments/test-gateway-http.js';
import { createStorage } from './platform/storage/factory.js';
import { LocalStorage } from './platform/storage/local.js';
import { localStorageRoutes } from './platform/storage/local-http.js';
import type { StoragePort } from './platform/storage/port.js';
import { createLogger, type Logger } from './platform/telemetry/logger.js';
import { BackupService, lastBackupSuccess } from './modules/backups/service.js';
import { createDatabaseDumper } from './platform/db/pg-dump.js';
import { CACHE_OPERATIONS, MeasuredCache } from './platform/cache/measured.js';
import { defaultDiskPaths, Metrics } from './platform/telemetry/metrics.js';
import { metricsRoute } from './platform/telemetry/metrics-http.js';
import { measureJobs } from './platform/telemetry/job-metrics.js';
import { QUEUE_NAMES } from './platform/queue/port.js';
import { ShutdownProgress } from './main/shutdown.js';

/** Every adapter, built once from Config. Nothing else constructs adapters. */
export interface Platform {
  config: Config;
  log: Logger;
  database: DatabasePort;
  cache: CachePort;
  queue: QueuePort;
  storage: StoragePort;
  mail: MailPort;
  /** Told which media paths changed when a video is published (a no-op without a CDN). */
  cdn: CdnPort;
  /** The payment gateway (Stripe or the built-in test gateway); undefined when paid courses cannot be bought. */
  payments: PaymentGatewayPort | undefined;
  /** APP_SECRET, or the one generated into the data directory. */
  appSecret: string;
  /** This process's Prometheus registry; its state gauges already watch the adapters above. */
  metrics: Metrics;
}

export const WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

/**
 * The secret behind locally signed URLs. Production must set APP_SECRET (config enforces it); an
 * embedded install makes one on first start and keeps it in the data directory, so signed links
 * survive restarts without the user configuring anything.
 */
async function resolveAppSecret(config: Config): Promise<string> {
  if (config.appSecret) return config.appSecret;
  const file = path.join(config.dataDir, 'app-secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(config.dataDir, { recursive: true });
    const secret = randomBytes(32).toString('hex');
    await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(async () => undefined);
    return (await readFile(file, 'utf8')).trim();
  }
}

export async function openPlatform(config: Config, purpose: string, log?: Logger): Promise<Platform> {
  const logger = log ?? createLogger({ level: config.logLevel, name: 'lectio' });
  limitConcurrentHashes(config.passwordHashConcurrency);
  const database = await createDatabase(config.database, purpose);
  try {
    const metrics = new Metrics();
    metrics.declareCacheOperations(CACHE_OPERATIONS);
    metrics.declareJobs(ALL_JOB_DECLARATIONS.map((d) => d.name));
    const cache = new MeasuredCache(await createCache(config.cache, { log: logger }), metrics);
    const queue = createQueue(config.queue, { database, logger });
    const appSecret = await resolveAppSecret(config);
    const storage = await createStorage(config.storage, {
      database,
      publicUrl: config.http.publicUrl,
      signingSecret: appSecret,
      rawColdAfterDays: config.video.rawColdAfterDays,
      browserOrigins: [new URL(config.http.publicUrl).origin, ...config.http.corsOrigins],
      logger,
    });
    const mail = createMail(config.mail, { database, from: config.mailFrom });
    const cdn = createCdn(config.cdn);
    const payments = createPaymentGateway(config.payments, {
      db: database.primary,
      publicUrl: config.http.publicUrl,
      appSecret,
      logger,
    });
    metrics.watch({
      dbPools: () => database.poolStats(),
      queues: () =>
        Promise.all(
          QUEUE_NAMES.map(async (name) => {
            const { oldestWaitingMs, ...counts } = await queue.stats(name);
            return { queue: name, counts, oldestWaitingSeconds: oldestWaitingMs / 1000 };
          }),
        ),
      diskPaths: defaultDiskPaths(config.dataDir),
      // The embedded database is never backed up (see modules/backups), so it reports no backup age.
      backups: config.database.backend === 'postgres' ? () => lastBackupSuccess(storage) : undefined,
    });
    return { config, log: logger, database, cache, queue, storage, mail, cdn, payments, appSecret, metrics };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Closes every connection; `progress` names the ones still closing (see shutdown.ts). */
export async function closePlatform(platform: Platform, progress = new ShutdownProgress()): Promise<void> {
  const results = await Promise.allSettled([
    progress.closing('queue connections', () => platform.queue.close()),
    progress.closing('cache', () => platform.cache.close()),
    progress.closing('storage', () => platform.storage.close()),
    progress.closing('mail', () => platform.mail.close()),
    progress.closing('CDN', () => platform.cdn.close()),
    progress.closing('payments', () => platform.payments?.close()),
  ]);
  await progress.closing('database pool', () => platform.database.close());
  for (const r of results) if (r.status === 'rejected') platform.log.warn({ err: r.reason }, 'error while closing');
}

/** The services, each given only the ports it uses. */
export function buildServices(platform: Platform) {
  const { config, database, queue, cache, log } = platform;
  const userRepository = new UserRepository(database.db, database.primary);
  const authRepository = new AuthRepository(database.primary);
  const applicationRepository = new ApplicationRepository(database.db, database.primary);
  const users = new UserService(userRepository);
  const notifications = new NotificationService(queue);

  const tokens = new TokenService(
    config.auth.signingKeys ?? [deriveLocalSigningKey(platform.appSecret)],
    config.auth.accessTokenTtlSeconds,
  );
  const accountCache = new AccountCache(cache, userRepository, authRepository, log);
  const loginGuard = new LoginGuard(new ResilientCounters(cache, log));
  const auth = new AuthService(userRepository, authRepository, tokens, notifications, loginGuard, accountCache, {
    publicUrl: config.http.publicUrl,
    refreshTokenTtlMs: config.auth.refreshTokenTtlMs,
    refreshReuseGraceMs: config.auth.refreshReuseGraceMs,
  });
  const principals = new PrincipalService(tokens, accountCache);
  const catalogRepository = new CatalogRepository(database.db, database.primary);
  const catalogCache = new CatalogCache(cache, (courseId) => catalogRepository.slugOf(courseId), log);
  // The one access check; the primary, so an enrollment just made counts on the next request.
  const courseAccess = new EnrollmentAccessService(database.primary);
  const studioRepository = new StudioRepository(database.primary);
  const courseWriter = new CourseWriter(studioRepository, new SearchDocumentIndexer(), catalogCache);
  const media = { mediaBaseUrl: config.http.publicUrl };
  const videoRepository = new VideoRepository(database.primary);
  // One key signs every playback URL (grants, studio previews) and checks them on the media route.
  const playbackKey = playbackSigningKey(config, platform.appSecret);
  const playbackUrls = new PlaybackUrlSigner(playbackKey, config.playback);
  const videos = new VideoService(videoRepository, platform.storage, playbackUrls, log);
  const videoUploads = new VideoUploadService(
    videoRepository,
    platform.storage,
    queueTranscodeScheduler(queue),
    config.video,
    playbackUrls,
    log,
  );
  const playbackRepository = new PlaybackRepository(database.primary);
  platform.metrics.watch({ activeViewers: (now) => playbackRepository.countOpenSessions(now) });
  const playback = new PlaybackService(playbackRepository, courseAccess, playbackUrls, cache, config.playback, log);
  const captions = new CaptionService(playbackRepository, platform.storage, log);
  const playbackMedia = new PlaybackMediaService(playbackKey, platform.storage);
  const catalog = new CatalogService(catalogRepository, catalogCache, courseAccess, platform.storage, videos, media);
  const studio = new StudioService(
    studioRepository,
    catalogRepository,
    courseWriter,
    platform.storage,
    new SharpImageProcessor(),
    videos,
    media,
    log,
  );
  const courseAdmin = new CourseAdminService(catalogRepository, studioRepository, courseWriter, catalogCache);
  const enrollments = new EnrollmentService(new EnrollmentRepository(database.primary), catalogCache, media, [
    playback,
  ]);
  const reviews = new ReviewService(new ReviewRepository(database.db, database.primary), courseAccess, catalogCache);
  // Commerce: every order change goes through the one ledger; a refund ends playback like any revocation.
  const orderRepository = new OrderRepository(database.primary);
  const orderLedger = buildOrderLedger(platform, catalogCache, [playback]);
  const refunds = new RefundService(
    new RefundRepository(database.primary),
    orderLedger,
    platform.payments,
    notifications,
    {
      ...config.payments.refund,
      publicUrl: config.http.publicUrl,
    },
  );
  const orders = new OrderService(
    orderRepository,
    orderLedger,
    platform.payments,
    refunds,
    { publicUrl: config.http.publicUrl, checkoutExpiresMs: config.payments.checkoutExpiresMs },
    log,
  );
  const paymentWebhooks = new WebhookService(platform.payments, orderRepository, orderLedger);
  const coupons = new CouponService(new CouponRepository(database.primary));
  const revenue = new RevenueService(new RevenueRepository(database.db));
  const accounts = new AccountService(
    userRepository,
    authRepository,
    applicationRepository,
    accountCache,
    notifications,
    {
      publicUrl: config.http.publicUrl,
    },
    [enrollments, reviews],
  );
  const instructorApplications = new InstructorApplicationService(applicationRepository, userRepository, accountCache);
  const adminUsers = new AdminUserService(userRepository, authRepository, accountCache);
  const jobMonitor = new JobMonitorService(queue, log);
  const viewCounter = new ViewCounterService(new ViewCountRepository(database.db, database.primary), cache, log, {
    ranks: catalogCache,
  });
  const seo = new SeoService(new SeoRepository(database.db), {
    publicUrl: config.http.publicUrl,
    // The widest JPEG rendition: link previews want a large image and not every client reads WebP.
    coverImageUrl: (course) =>
      coverImage(course.coverKey, course.title, config.http.publicUrl)
        ?.sources.find((s) => s.type === 'image/jpeg')
        ?.srcset.split(', ')
        .at(-1)
        ?.split(' ')[0],
  });
  const search = new SearchService(
    new SearchRepository(database.db, database.primary),
    new SearchDocumentIndexer(),
    { mediaBaseUrl: config.http.publicUrl },
    catalogCache,
  );
  const certificates = new CertificateService(
    new CertificateRepository(database.primary),
    queueCertificateIssuing(queue),
    platform.storage,
    { publicUrl: config.http.publicUrl },
  );
  // Heartbeats buffer in the cache; course completions go to the certificates module.
  const progress = new ProgressService(
    new ProgressRepository(database.db, database.primary),
    cache,
    courseAccess,
    certificates,
    { publicUrl: config.http.publicUrl, mediaBaseUrl: config.http.publicUrl, log },
  );
  const health = new HealthService([
    { name: 'database', backend: database.backend, critical: true, ping: () => database.ping() },
    { name: 'cache', backend: platform.cache.backend, critical: false, ping: () => platform.cache.ping() },
    { name: 'queue', backend: queue.backend, critical: false, ping: () => queue.ping() },
    { name: 'storage', backend: platform.storage.backend, critical: false, ping: () => platform.storage.ping() },
    { name: 'mail', backend: platform.mail.backend, critical: false, ping: () => platform.mail.ping() },
  ]);
  return {
    users,
    notifications,
    health,
    tokens,
    auth,
    principals,
    accounts,
    instructorApplications,
    adminUsers,
    jobMonitor,
    catalogCache,
    courseAccess,
    catalog,
    studio,
    videos,
    videoUploads,
    playback,
    captions,
    playbackMedia,
    courseAdmin,
    enrollments,
    reviews,
    viewCounter,
    search,
    seo,
    certificates,
    progress,
    orderLedger,
    orders,
    paymentWebhooks,
    refunds,
    coupons,
    revenue,
  };
}
export type Services = ReturnType<typeof buildServices>;

export async function buildHttpApp(platform: Platform, services: Services): Promise<FastifyInstance> {
  const { config } = platform;
  const routes: FastifyPluginAsync[] = [
    healthRoutes(services.health),
    authRoutes(services.auth, { secure: config.auth.cookieSecure }),
    meRoutes(services.accounts, services.instructorApplications),
    adminRoutes(services.adminUsers, services.instructorApplications),
    catalogRoutes(services.catalog),
    studioRoutes(services.studio),
    videoStudioRoutes(services.videoUploads, services.videos),
    playbackRoutes(services.playback, services.captions),
    playbackMediaRoutes(services.playbackMedia),
    courseAdminRoutes(services.courseAdmin),
    enrollmentRoutes(services.enrollments),
    reviewRoutes(services.reviews),
    analyticsRoutes(services.viewCounter, { secureCookies: config.auth.cookieSecure }),
    // Before the SPA fallback, which would otherwise answer these pages without their preview tags.
    seoRoutes(services.seo, { webRoot: WEB_ROOT }),
    searchRoutes(services.search),
    certificateRoutes(services.certificates),
    progressRoutes(services.progress),
    orderRoutes(services.orders),
    paymentWebhookRoutes(services.paymentWebhooks),
    paymentsAdminRoutes(services.refunds),
    refundRequestRoutes(services.refunds),
    paymentsStudioRoutes(services.coupons, services.revenue),
    jobMonitorRoutes(services.jobMonitor),
  ];
  // Demo-only surfaces never exist in production, whatever the backends.
  if (!config.isProduction && platform.mail.backend === 'outbox') {
    routes.push(devMailboxRoutes(new OutboxReader(platform.database.db)));
  }
  if (platform.storage instanceof LocalStorage) routes.push(localStorageRoutes(platform.storage));
  // The built-in gateway's hosted checkout page, served by the app itself.
  if (platform.payments instanceof TestGateway) routes.push(testGatewayRoutes(platform.payments));
  // On the public port only with a token; the internal METRICS_PORT listener needs none.
  if (config.metrics.token) routes.push(metricsRoute(platform.metrics, config.metrics.token));
  return buildApp({
    config,
    logger: platform.log,
    cache: platform.cache,
    authenticator: services.principals,
    webRoot: WEB_ROOT,
    routes,
    metrics: platform.metrics,
  });
}

/**
 * The one entry that changes an order. The API and the worker (reconciliation) each build one from
 * the same parts, so a refund settled by either ends the student's playback.
 */
function buildOrderLedger(
  platform: Platform,
  catalog: CatalogInvalidator,
  revocationListeners: EnrollmentRevocationListener[],
): OrderLedger {
  return new OrderLedger(
    new OrderRepository(platform.database.primary),
    new EnrollmentRepository(platform.database.primary),
    catalog,
    queueOrderFollowUps(platform.queue),
    revocationListeners,
    platform.log,
  );
}

/** Backups of the database into the backups bucket: `lectio backup`/`restore` and the scheduled job. */
export function buildBackupService(platform: Platform): BackupService {
  return new BackupService(createDatabaseDumper(platform.config.database), platform.storage, {
    retentionDays: platform.config.backups.retentionDays,
  });
}

export function jobRegistrations(platform: Platform) {
  const { config, database, cache, log } = platform;
  const catalogRepository = new CatalogRepository(database.db, database.primary);
  const catalogCache = new CatalogCache(cache, (courseId) => catalogRepository.slugOf(courseId), log);
  const playbackUrls = new PlaybackUrlSigner(playbackSigningKey(config, platform.appSecret), config.playback);
  const playback = new PlaybackService(
    new PlaybackRepository(database.primary),
    new EnrollmentAccessService(database.primary),
    playbackUrls,
    cache,
    config.playback,
    log,
  );
  const registrations = buildJobRegistrations({
    db: platform.database.primary,
    mail: platform.mail,
    cache: platform.cache,
    queue: platform.queue,
    storage: platform.storage,
    cdn: platform.cdn,
    video: platform.config.video,
    publicUrl: platform.config.http.publicUrl,
    logger: platform.log,
    backups: buildBackupService(platform),
    transcodeMetrics: platform.metrics,
    // The progress flush completes courses in the worker; the same listener as the API's.
    courseCompletions: new CertificateService(
      new CertificateRepository(platform.database.primary),
      queueCertificateIssuing(platform.queue),
      platform.storage,
      { publicUrl: platform.config.http.publicUrl },
    ),
    payments: {
      gateway: platform.payments,
      ledger: buildOrderLedger(platform, catalogCache, [playback]),
      reconcileAfterMs: config.payments.reconcileAfterMs,
    },
  });
  assertEveryJobHasHandler(ALL_JOB_DECLARATIONS, registrations);
  return measureJobs(registrations, platform.metrics);
}
