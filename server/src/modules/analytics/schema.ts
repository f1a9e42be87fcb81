import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every view-count batch already added to `courses.view_count`, written in the same transaction as
 * the counts. A flush that crashed after committing but before clearing its batch from the cache
 * finds its id here on the retry and skips it, so no view is counted twice. Pruned after a while.
 */
export const viewCountFlushes = pgTable('view_count_flushes', {
  batchId: text('batch_id').primaryKey(),
  flushedAt: timestamp('flushed_at', { withTimezone: true }).notNull().defaultNow(),
});
