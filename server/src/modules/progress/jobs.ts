import { z } from 'zod';
import type { CachePort } from '../../platform/cache/port.js';
import type { Db } from '../../platform/db/port.js';
import { defineJob, registerJob } from '../../platform/queue/port.js';
import { EnrollmentAccessService } from '../enrollments/access-service.js';
import { ignoreCourseCompletions, type CourseCompletionListener } from './ports.js';
import { ProgressRepository } from './repository.js';
import { ProgressService, type ProgressLog } from './service.js';

/**
 * Moves buffered progress heartbeats from the cache into lesson_progress, in batches, and
 * announces the courses they complete. Statistics-like work at low priority: a backlog must never
 * delay a transcode or a mail; a minute's delay only postpones a completion by a minute.
 */
export const flushProgressJob = defineJob({
  name: 'progress.flush',
  queue: 'default',
  priority: 'low',
  payload: z.object({}),
  repeat: { cron: '* * * * *', payload: {} },
});

export const progressJobs = [flushProgressJob];

export function progressJobHandlers(deps: {
  db: Db;
  cache: CachePort;
  publicUrl: string;
  /** The certificates module's listener; until it is wired completions are only recorded. */
  courseCompletions?: CourseCompletionListener;
  logger?: ProgressLog;
}) {
  const progress = new ProgressService(
    new ProgressRepository(deps.db, deps.db),
    deps.cache,
    new EnrollmentAccessService(deps.db),
    deps.courseCompletions ?? ignoreCourseCompletions,
    { publicUrl: deps.publicUrl, mediaBaseUrl: deps.publicUrl, log: deps.logger },
  );
  return [
    registerJob(flushProgressJob, async () => {
      await progress.flush();
    }),
  ];
}
