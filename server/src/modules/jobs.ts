import type { CachePort } from '../platform/cache/port.js';
import type { Db } from '../platform/db/port.js';
import type { MailPort } from '../platform/mail/port.js';
import type { JobDeclaration, JobRegistration } from '../platform/queue/port.js';
import { analyticsJobHandlers, analyticsJobs } from './analytics/jobs.js';
import { authJobHandlers, authJobs } from './auth/jobs.js';
import { notificationJobHandlers, notificationJobs } from './notifications/jobs.js';
import { systemJobHandlers, systemJobs } from './system/jobs.js';

/** Every job any module declares. The worker refuses to start if one has no handler. */
export const ALL_JOB_DECLARATIONS: readonly JobDeclaration<unknown>[] = [
  ...notificationJobs,
  ...systemJobs,
  ...authJobs,
  ...analyticsJobs,
];

export interface JobDependencies {
  db: Db;
  mail: MailPort;
  cache: CachePort;
}

/** Each module hands over its handlers, each given only the ports it uses. */
export function buildJobRegistrations(deps: JobDependencies): JobRegistration[] {
  return [
    ...notificationJobHandlers({ mail: deps.mail }),
    ...systemJobHandlers({ db: deps.db }),
    ...authJobHandlers({ db: deps.db }),
    ...analyticsJobHandlers({ db: deps.db, cache: deps.cache }),
  ];
}
