import type { Db } from '../../platform/db/port.js';

/**
 * What the catalog calls after every write that changes a course's searchable fields or its
 * visibility, inside the same transaction, so search never shows a course the catalog no longer
 * has (or misses a new title). Implemented by the search module.
 */
export interface CourseSearchIndexer {
  /** Rebuilds the course's document, or removes it when the course is not published. */
  syncCourse(tx: Db, courseId: string): Promise<void>;
}
