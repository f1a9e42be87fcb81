import { z } from 'zod';
import type { Db } from '../../platform/db/port.js';
import { defineJob, registerJob } from '../../platform/queue/port.js';
import { AuthRepository } from './repository.js';

/**
 * Ended sessions and spent links are kept a while (the owner's session list, support questions),
 * then removed so the token tables do not grow without bound.
 */
export const purgeAuthTokensJob = defineJob({
  name: 'auth.purge-expired',
  queue: 'default',
  priority: 'low',
  payload: z.object({}),
  repeat: { cron: '30 4 * * *', payload: {} },
});

export const authJobs = [purgeAuthTokensJob];

export function authJobHandlers(deps: { db: Db }) {
  return [registerJob(purgeAuthTokensJob, () => new AuthRepository(deps.db).purgeEnded(new Date()))];
}
