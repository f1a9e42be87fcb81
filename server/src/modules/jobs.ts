import type { Config } from '../config.js';
import type { CachePort } from '../platform/cache/port.js';
import type { CdnPort } from '../platform/cdn/port.js';
import type { Db } from '../platform/db/port.js';
import type { MailPort } from '../platform/mail/port.js';
import type { JobDeclaration, JobRegistration, QueuePort } from '../platform/queue/port.js';
import type { StoragePort } from '../platform/storage/port.js';
import type { TranscodeMetrics } from '../platform/telemetry/metrics.js';
import { analyticsJobHandlers, analyticsJobs } from './analytics/jobs.js';
import { authJobHandlers, authJobs } from './auth/jobs.js';
import { backupJobHandlers, backupJobs } from './backups/jobs.js';
import type { BackupService } from './backups/service.js';
import { certificateJobHandlers, certificateJobs } from './certificates/jobs.js';
import { notificationJobHandlers, notificationJobs } from './notifications/jobs.js';
import { paymentJobHandlers, paymentJobs, type PaymentJobDependencies } from './payments/jobs.js';
import { progressJobHandlers, progressJobs } from './progress/jobs.js';
import type { CourseCompletionListener } from './progress/ports.js';
import { systemJobHandlers, systemJobs } from './system/jobs.js';
import type { PipelineLogger } from './videos/pipeline.js';
import { videoJobHandlers, videoJobs } from './videos/jobs.js';

/** Every job any module declares. The worker refuses to start if one has no handler. */
export const ALL_JOB_DECLARATIONS: readonly JobDeclaration<unknown>[] = [
  ...notificationJobs,
  ...systemJobs,
  ...authJobs,
  ...analyticsJobs,
  ...videoJobs,
  ...certificateJobs,
  ...progressJobs,
  ...paymentJobs,
  ...backupJobs,
];

export interface JobDependencies {
  db: Db;
  mail: MailPort;
  cache: CachePort;
  /** Jobs that schedule other jobs (a transcode mails and schedules clean-ups). */
  queue: QueuePort;
  storage: StoragePort;
  cdn: CdnPort;
  video: Config['video'];
  /** Links in mails point here. */
  publicUrl: string;
  logger: PipelineLogger;
  /** Told the speed of every finished transcode. */
  transcodeMetrics?: TranscodeMetrics;
  /** Told when the progress flush completes a course (the certificates module); none = only recorded. */
  courseCompletions?: CourseCompletionListener;
  /** The gateway and the order ledger, for receipts and reconciliation; none = those jobs do nothing. */
  payments?: Pick<PaymentJobDependencies, 'gateway' | 'ledger' | 'reconcileAfterMs'>;
  /** The scheduled database backup (it skips itself, logged, on the embedded database). */
  backups: BackupService;
}

/** Each module hands over its handlers, each given only the ports it uses. */
export function buildJobRegistrations(deps: JobDependencies): JobRegistration[] {
  return [
    ...notificationJobHandlers({ mail: deps.mail }),
    ...systemJobHandlers({ db: deps.db }),
    ...authJobHandlers({ db: deps.db }),
    ...analyticsJobHandlers({ db: deps.db, cache: deps.cache }),
    ...videoJobHandlers({
      db: deps.db,
      cache: deps.cache,
      queue: deps.queue,
      storage: deps.storage,
      cdn: deps.cdn,
      video: deps.video,
      publicUrl: deps.publicUrl,
      logger: deps.logger,
      transcodeMetrics: deps.transcodeMetrics,
    }),
    ...certificateJobHandlers({ db: deps.db, queue: deps.queue, storage: deps.storage, publicUrl: deps.publicUrl }),
    ...progressJobHandlers({
      db: deps.db,
      cache: deps.cache,
      publicUrl: deps.publicUrl,
      courseCompletions: deps.courseCompletions,
      logger: deps.logger,
    }),
    ...paymentJobHandlers({
      db: deps.db,
      mail: deps.mail,
      queue: deps.queue,
      publicUrl: deps.publicUrl,
      gateway: deps.payments?.gateway,
      ledger: deps.payments?.ledger,
      reconcileAfterMs: deps.payments?.reconcileAfterMs ?? 15 * 60_000,
      logger: deps.logger,
    }),
    ...backupJobHandlers({ backups: deps.backups, logger: deps.logger }),
  ];
}
