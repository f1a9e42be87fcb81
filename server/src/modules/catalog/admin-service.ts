import type { z } from 'zod';
import type { Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import type { CourseWriter } from './course-writer.js';
import type { CatalogCache } from './invalidation.js';
import type { CatalogRepository, CourseRow } from './repository.js';
import type { adminCourseSchema } from './schemas.js';
import type { Page } from './service.js';
import type { StudioRepository } from './studio-repository.js';

export type AdminCourse = z.infer<typeof adminCourseSchema>;

function toAdminCourse(course: CourseRow, instructorName: string): AdminCourse {
  return {
    id: course.id,
    slug: course.slug,
    title: course.title,
    status: course.status,
    instructor: { id: course.instructorId, displayName: instructorName },
    takedown:
      course.takedownReason && course.takenDownAt
        ? { reason: course.takedownReason, at: course.takenDownAt.toISOString() }
        : null,
    publishedAt: course.publishedAt?.toISOString() ?? null,
    createdAt: course.createdAt.toISOString(),
  };
}

/** Admins oversee every course: find any, take one down with a reason its instructor sees, restore it. */
export class CourseAdminService {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly studio: StudioRepository,
    private readonly writer: CourseWriter,
    private readonly cache: CatalogCache,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(query: {
    status?: CourseRow['status'];
    q?: string;
    page: number;
    pageSize: number;
  }): Promise<Page<AdminCourse>> {
    const { items, total } = await this.catalog.searchAll(query);
    return {
      items: items.map(({ course, instructorName }) => toAdminCourse(course, instructorName)),
      total,
      page: query.page,
      pageSize: query.pageSize,
    };
  }

  /**
   * Unpublishes the course at once and records why; the instructor sees the reason in the studio
   * and cannot publish again until an admin restores it. Enrolled students lose access meanwhile.
   * `publishedAt` is kept, as the record that it was published, for the restore.
   */
  async takedown(admin: Actor, courseId: string, reason: string): Promise<AdminCourse> {
    const course = await this.writer.write(courseId, (tx, current) =>
      this.studio.updateCourse(tx, courseId, {
        status: current.status === 'published' ? 'draft' : current.status,
        takedownReason: reason,
        takenDownAt: this.now(),
        takenDownBy: admin.userId,
      }),
    );
    return toAdminCourse(course, await this.studio.userName(course.instructorId));
  }

  /** Lifts a takedown: a course that was published when taken down is published again, anything else stays a draft. */
  async restore(courseId: string): Promise<AdminCourse> {
    const course = await this.writer.write(courseId, async (tx, current) => {
      if (!current.takenDownAt) throw new AppError(409, 'not_taken_down', 'This course is not taken down.');
      return this.studio.updateCourse(tx, courseId, {
        status: current.publishedAt ? 'published' : current.status,
        takedownReason: null,
        takenDownAt: null,
        takenDownBy: null,
      });
    });
    return toAdminCourse(course, await this.studio.userName(course.instructorId));
  }

  /**
   * Adds a category (two levels: a parent must itself be top-level). No route yet; the demo seed
   * and operators use it.
   */
  async createCategory(input: {
    slug: string;
    nameKo: string;
    nameEn: string;
    parentSlug?: string;
    position?: number;
  }) {
    const created = await this.studio.insertCategory(input);
    if (created === 'parent_not_found') throw new AppError(422, 'category_not_found', 'No such parent category.');
    if (created === 'too_deep') throw new AppError(422, 'category_too_deep', 'Categories have two levels only.');
    if (created === 'slug_taken') throw new AppError(409, 'category_exists', 'A category with this slug exists.');
    await this.cache.categoriesChanged();
    return created;
  }
}
