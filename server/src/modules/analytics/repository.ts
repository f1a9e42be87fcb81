import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { courses } from '../catalog/schema.js';
import { viewCountFlushes } from './schema.js';

export class ViewCountRepository {
  constructor(
    private readonly db: Db,
    private readonly primary: Db,
  ) {}

  async isPublished(courseId: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: courses.id })
      .from(courses)
      .where(and(eq(courses.id, courseId), eq(courses.status, 'published')))
      .limit(1);
    return rows.length > 0;
  }

  /**
   * Adds a batch of counts to `courses.view_count` and records the batch id, in one transaction.
   * Returns false, changing nothing, when the batch was applied before (a retried flush).
   */
  async applyBatch(batchId: string, counts: ReadonlyMap<string, number>): Promise<boolean> {
    return this.primary.transaction(async (tx) => {
      const recorded = await tx
        .insert(viewCountFlushes)
        .values({ batchId })
        .onConflictDoNothing()
        .returning({ batchId: viewCountFlushes.batchId });
      if (recorded.length === 0) return false;
      const rows = [...counts].map(([id, n]) => ({ id, n }));
      if (rows.length) {
        // One statement for the whole batch; a course deleted since its view simply matches nothing.
        await tx.execute(sql`
          update ${courses} set view_count = ${courses.viewCount} + v.n
          from json_to_recordset(${JSON.stringify(rows)}::json) as v(id uuid, n bigint)
          where ${courses.id} = v.id`);
      }
      return true;
    });
  }

  async pruneBatchesBefore(cutoff: Date): Promise<void> {
    await this.primary.delete(viewCountFlushes).where(lt(viewCountFlushes.flushedAt, cutoff));
  }
}
