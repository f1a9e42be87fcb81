import { lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../platform/db/port.js';
import { mailOutbox } from '../../platform/mail/schema.js';
import { defineJob, registerJob } from '../../platform/queue/port.js';

const OUTBOX_RETENTION_DAYS = 30;

/** The dev mailbox would otherwise grow forever on a long-running embedded install. */
export const purgeOutboxJob = defineJob({
  name: 'system.purge-outbox',
  queue: 'default',
  priority: 'low',
  payload: z.object({}),
  repeat: { cron: '15 4 * * *', payload: {} },
});

export const systemJobs = [purgeOutboxJob];

export function systemJobHandlers(deps: { db: Db }) {
  return [
    registerJob(purgeOutboxJob, async () => {
      await deps.db
        .delete(mailOutbox)
        .where(lt(mailOutbox.createdAt, sql`now() - make_interval(days => ${OUTBOX_RETENTION_DAYS})`));
    }),
  ];
}
