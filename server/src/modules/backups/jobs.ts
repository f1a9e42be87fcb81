import { z } from 'zod';
import { defineJob, registerJob } from '../../platform/queue/port.js';
import type { BackupService } from './service.js';

/**
 * The design's schedule: every day at 03:00 UTC; Sunday's run is the weekly full (backupKindFor).
 * Medium priority: behind transcodes, ahead of statistics. Retries back off from 10 minutes, so a
 * database restarting for maintenance at 03:00 still gets its backup well before the 26-hour alert.
 */
export const runBackupJob = defineJob({
  name: 'backups.run',
  queue: 'default',
  priority: 'medium',
  payload: z.object({}),
  attempts: 4,
  backoffMs: 10 * 60_000,
  repeat: { cron: '0 3 * * *', payload: {} },
});

export const backupJobs = [runBackupJob];

export interface BackupJobLogger {
  info(details: Record<string, unknown>, message: string): void;
}

export function backupJobHandlers(deps: { backups: BackupService; logger: BackupJobLogger }) {
  return [
    registerJob(runBackupJob, async (_payload, context) => {
      if (!deps.backups.supported) {
        // The embedded demo has no pg_dump; failing daily would only fill the failed-jobs list.
        deps.logger.info(
          { job: runBackupJob.name },
          'scheduled backup skipped: the embedded database is not backed up',
        );
        return;
      }
      const result = await deps.backups.backup({ signal: context.signal });
      deps.logger.info(
        {
          job: runBackupJob.name,
          key: result.key,
          kind: result.kind,
          bytes: result.size,
          entries: result.entries,
          durationMs: result.durationMs,
          pruned: result.pruned.length,
        },
        'database backup stored',
      );
    }),
  ];
}
