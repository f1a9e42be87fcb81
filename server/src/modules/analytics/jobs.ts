import { z } from 'zod';
import type { CachePort } from '../../platform/cache/port.js';
import type { Db } from '../../platform/db/port.js';
import { defineJob, registerJob } from '../../platform/queue/port.js';
import { CatalogCache } from '../catalog/invalidation.js';
import { ViewCountRepository } from './repository.js';
import { ViewCounterService } from './service.js';

/**
 * Moves the cache's real-time view counts into courses.view_count, which popularity sorts read.
 * Statistics run at low priority: a backlog of them must never delay a transcode or a mail.
 */
export const flushViewCountsJob = defineJob({
  name: 'analytics.flush-view-counts',
  queue: 'default',
  priority: 'low',
  payload: z.object({}),
  repeat: { cron: '* * * * *', payload: {} },
});

export const analyticsJobs = [flushViewCountsJob];

export function analyticsJobHandlers(deps: { db: Db; cache: CachePort }) {
  // Only its search generation is renewed here, which needs no course's slug.
  const catalog = new CatalogCache(deps.cache, () => Promise.resolve(undefined));
  const viewCounter = new ViewCounterService(new ViewCountRepository(deps.db, deps.db), deps.cache, undefined, {
    ranks: catalog,
  });
  return [
    registerJob(flushViewCountsJob, async () => {
      await viewCounter.flush();
    }),
  ];
}
