import { describe, expect, it } from 'vitest';
import { MissingJobHandlerError } from '../platform/queue/port.js';
import { assertEveryJobHasHandler } from '../platform/queue/registry.js';
import type { CachePort } from '../platform/cache/port.js';
import type { Db } from '../platform/db/port.js';
import type { MailPort } from '../platform/mail/port.js';
import { ALL_JOB_DECLARATIONS, buildJobRegistrations } from './jobs.js';

// Handlers are only constructed here, never run, so the ports can be empty stand-ins.
const deps = { db: {} as Db, mail: {} as MailPort, cache: {} as CachePort };

describe('the job registry', () => {
  it('gives every declared job exactly one handler', () => {
    expect(() => assertEveryJobHasHandler(ALL_JOB_DECLARATIONS, buildJobRegistrations(deps))).not.toThrow();
    expect(ALL_JOB_DECLARATIONS.map((d) => d.name)).toEqual(
      expect.arrayContaining([
        'notifications.send-email',
        'system.purge-outbox',
        'auth.purge-expired',
        'analytics.flush-view-counts',
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
  });
});
