import { z } from 'zod';
import type { Db } from '../../platform/db/port.js';
import { defineJob, registerJob, type QueuePort } from '../../platform/queue/port.js';
import type { StoragePort } from '../../platform/storage/port.js';
import { NotificationService } from '../notifications/service.js';
import { CertificateIssuer } from './issuer.js';
import { renderCertificatePdf } from './pdf.js';
import { CertificateRepository } from './repository.js';
import type { CertificateIssueScheduler } from './service.js';

/**
 * Renders, stores and mails one certificate. Medium like mail: a student waits for it, but it
 * must never hold up a transcode. Rendering takes well under a second.
 */
export const issueCertificateJob = defineJob({
  name: 'certificates.issue',
  queue: 'default',
  priority: 'medium',
  attempts: 3,
  backoffMs: 10_000,
  payload: z.object({ certificateId: z.string().uuid() }),
});

/**
 * The safety net: a certificate still pending long after completion had its job lost (a crash
 * between the insert and the enqueue) or exhausted (storage down for a while). It is queued
 * again, under a key of the hour, since the first job's key is held while that job is kept.
 */
export const retryPendingCertificatesJob = defineJob({
  name: 'certificates.retry-pending',
  queue: 'default',
  priority: 'low',
  payload: z.object({}),
  repeat: { cron: '*/15 * * * *', payload: {} },
});

/** Older than any normal issue (seconds) plus its retries' back-off. */
const STUCK_AFTER_MS = 15 * 60_000;
const RETRY_BATCH = 200;

export const certificateJobs = [issueCertificateJob, retryPendingCertificatesJob];

export function queueCertificateIssuing(queue: QueuePort): CertificateIssueScheduler {
  return {
    async scheduleIssue(certificateId: string): Promise<void> {
      await queue.enqueue(issueCertificateJob, { certificateId }, { dedupeKey: `certificate-issue:${certificateId}` });
    },
  };
}

export function certificateJobHandlers(deps: { db: Db; queue: QueuePort; storage: StoragePort; publicUrl: string }) {
  const repository = new CertificateRepository(deps.db);
  const issuer = new CertificateIssuer({
    certificates: repository,
    storage: deps.storage,
    notifications: new NotificationService(deps.queue),
    render: (content) => renderCertificatePdf(content),
    publicUrl: deps.publicUrl,
  });
  return [
    registerJob(issueCertificateJob, ({ certificateId }) => issuer.issue(certificateId)),
    registerJob(retryPendingCertificatesJob, async () => {
      const now = Date.now();
      const hour = Math.floor(now / 3_600_000);
      for (const { id } of await repository.pendingSince(new Date(now - STUCK_AFTER_MS), RETRY_BATCH)) {
        await deps.queue.enqueue(
          issueCertificateJob,
          { certificateId: id },
          { dedupeKey: `certificate-issue:${id}:retry-${hour}` },
        );
      }
    }),
  ];
}
