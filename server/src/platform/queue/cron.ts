import { CronExpressionParser } from 'cron-parser';

/**
 * The first run of a cron expression strictly after `after`, in UTC. Five fields (minutes) or six
 * (seconds first) are accepted, as BullMQ accepts them, so one declaration works on both backends.
 * Throws on an invalid expression.
 */
export function nextCronRun(cron: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { currentDate: after, tz: 'UTC' }).next().toDate();
}

/** Throws a readable error naming the job when its cron expression cannot be parsed. */
export function assertValidCron(jobName: string, cron: string): void {
  try {
    nextCronRun(cron, new Date());
  } catch (error) {
    throw new Error(
      `Job ${jobName}: invalid cron "${cron}": ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
