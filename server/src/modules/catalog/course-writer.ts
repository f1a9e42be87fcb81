import type { Db } from '../../platform/db/port.js';
import { AppError } from '../app-error.js';
import type { CourseSearchIndexer } from '../search/indexer.js';
import type { CatalogCache } from './invalidation.js';
import type { CourseRow } from './repository.js';
import type { StudioRepository } from './studio-repository.js';

export const courseNotFound = () => new AppError(404, 'course_not_found', 'No such course.');

/**
 * Every change to what a course shows goes through here: one transaction that holds the course row
 * (so two edits of one course take turns), rebuilds its search document before committing (search
 * and catalog never disagree), and only after the commit renews the cached pages (a reader cannot
 * refill the cache with the state before the write).
 */
export class CourseWriter {
  constructor(
    private readonly repository: StudioRepository,
    private readonly indexer: CourseSearchIndexer,
    private readonly cache: CatalogCache,
  ) {}

  async write<T>(courseId: string, work: (tx: Db, course: CourseRow) => Promise<T>): Promise<T> {
    let slug: string | undefined;
    const result = await this.repository.transaction(async (tx) => {
      const course = await this.repository.lockCourse(tx, courseId);
      if (!course) throw courseNotFound();
      slug = course.slug;
      const value = await work(tx, course);
      await this.indexer.syncCourse(tx, courseId);
      return value;
    });
    if (slug) await this.cache.courseEdited(slug);
    return result;
  }
}
