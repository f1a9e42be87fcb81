import { describe, expect, it } from 'vitest';
import { MissingJobHandlerError } from '../platform/queue/port.js';
import { assertEveryJobHasHandler } from '../platform/queue/registry.js';
import type { CachePort } from '../platform/cache/port.js';
import type { Db } from '../platform/db/port.js';
import type { MailPort } from '../platform/mail/port.js';
import { loadConfig } from '../config.js';
import { NoCdn } from '../platform/cdn/noop.js';
import type { QueuePort } from '../platform/queue/port.js';
import type { StoragePort } from '../platform/storage/port.js';
import { BackupService } from './backups/service.js';
import { ALL_JOB_DECLARATIONS, buildJobRegistrations, type JobDependencies } from './jobs.js';

// Handlers are only constructed here, never run, so the ports can be empty stand-ins.
const deps: JobDependencies = {
  db: {} as Db,
  mail: {} as MailPort,
  cache: {} as CachePort,
  queue: {} as QueuePort,
  storage: {} as StoragePort,
  cdn: new NoCdn(),
  video: loadConfig({}).video,
  publicUrl: 'http://127.0.0.1:3000',
  logger: { info() {}, warn() {}, error() {} },
  backups: new BackupService(undefined, {} as StoragePort, { retentionDays: 30 }),
};

describe('the job registry', () => {
  it('gives every declared job exactly one handler', () => {
    expect(() => assertEveryJobHasHandler(ALL_JOB_DECLARATIONS, buildJobRegistrations(deps))).not.toThrow();
    expect(ALL_JOB_DECLARATIONS.map((d) => d.name)).toEqual(
      expect.arrayContaining([
        'notifications.send-email',
        'system.purge-outbox',
        'auth.purge-expired',
        'analytics.flush-view-counts',
        'videos.transcode',
        'videos.remove-version',
        'videos.archive-raw',
        'backups.run',
      ]),
    );
  });

  it('refuses to start a worker when a declared job has no handler, naming it', () => {
    const withoutEmail = buildJobRegistrations(deps).filter((r) => r.declaration.name !== 'notifications.send-email');
    expect(() => assertEveryJobHasHandler(ALL_JOB_DECLARATIONS, withoutEmail)).toThrow(MissingJobHandlerError);
    expect(() => assertEveryJobHasHandler(ALL_JOB_DECLARATIONS, withoutEmail)).toThrow(/notifications\.send-email/);
  });

  it('keeps the design priority order: email medium, statistics-like maintenance low', () => {
    const byName = new Map(ALL_JOB_DECLARATIONS.map((d) => [d.name, d]));
    expect(byName.get('notifications.send-email')?.priority).toBe('medium');
    expect(byName.get('system.purge-outbox')?.priority).toBe('low');
    // Transcoding is high, on its own queue, so video machines scale apart from everything else.
    expect(byName.get('videos.transcode')).toMatchObject({ priority: 'high', queue: 'video', attempts: 3 });
    expect(byName.get('videos.archive-raw')?.priority).toBe('low');
  });
});
