import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { isStorageError } from '../../platform/storage/errors.js';
import type { StoragePort } from '../../platform/storage/port.js';
import type { LessonVideoLookup } from '../videos/video-service.js';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import type { CourseAccessChecker } from '../enrollments/access.js';
import type { CatalogCache } from './invalidation.js';
import type { CatalogRepository, CourseSort } from './repository.js';
import type {
  CategoryNode,
  courseDetailSchema,
  downloadLinkSchema,
  instructorPageSchema,
  lessonContentSchema,
} from './schemas.js';
import { COVER_FORMATS, toAttachmentView, toCourseCard, type CourseCard } from './views.js';

export type CourseDetail = z.infer<typeof courseDetailSchema>;
export type InstructorPage = z.infer<typeof instructorPageSchema>;
export type LessonContent = z.infer<typeof lessonContentSchema>;
export type DownloadLink = z.infer<typeof downloadLinkSchema>;

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** Attachment links are short-lived: long enough to start a download, too short to pass around. */
export const DOWNLOAD_URL_SECONDS = 300;
/** Public cover renditions live in the image bucket next to video thumbnails. */
export const COVER_BUCKET = 'thumbnails' as const;
export const ATTACHMENT_BUCKET = 'attachments' as const;

const courseNotFound = () => new AppError(404, 'course_not_found', 'No such course.');
const lessonNotFound = () => new AppError(404, 'lesson_not_found', 'No such lesson.');

/** What anyone may read of the catalog: categories, course lists and pages, lessons they may open. */
export class CatalogService {
  constructor(
    private readonly repository: CatalogRepository,
    private readonly cache: CatalogCache,
    private readonly access: CourseAccessChecker,
    private readonly storage: StoragePort,
    private readonly videos: Pick<LessonVideoLookup, 'lessonVideo'>,
    private readonly options: { mediaBaseUrl: string },
    private readonly now: () => Date = () => new Date(),
  ) {}

  async categories(): Promise<{ items: CategoryNode[] }> {
    const items = await this.cache.categories(async () => {
      const rows = await this.repository.categoriesWithCounts();
      const node = (r: (typeof rows)[number]) => ({
        id: r.id,
        slug: r.slug,
        nameKo: r.nameKo,
        nameEn: r.nameEn,
        courseCount: r.courseCount,
      });
      return rows
        .filter((r) => r.parentId === null)
        .map((top): CategoryNode => {
          const children = rows.filter((r) => r.parentId === top.id).map(node);
          const own = node(top);
          return { ...own, courseCount: own.courseCount + children.reduce((n, c) => n + c.courseCount, 0), children };
        });
    });
    return { items };
  }

  async courses(query: {
    category?: string;
    sort: CourseSort;
    page: number;
    pageSize: number;
  }): Promise<Page<CourseCard>> {
    const variant = `${query.category ?? '*'}:${query.sort}:${query.page}:${query.pageSize}`;
    return this.cache.list(variant, async () => {
      const categoryIds = query.category === undefined ? undefined : await this.categoryIds(query.category);
      // The total is the same for every page and sort of one filter: counted once per generation.
      const [items, total] = await Promise.all([
        this.repository.pagePublished({ ...query, categoryIds }),
        this.cache.list(`count:${query.category ?? '*'}`, () => this.repository.countPublished({ categoryIds })),
      ]);
      return {
        items: items.map((row) => toCourseCard(row, this.options.mediaBaseUrl)),
        total,
        page: query.page,
        pageSize: query.pageSize,
      };
    });
  }

  /**
   * A category's id with its subcategories' (two levels), read from the cached tree: a list page
   * that missed the cache then costs one statement, not three.
   */
  private async categoryIds(slug: string): Promise<string[]> {
    const { items } = await this.categories();
    for (const top of items) {
      if (top.slug === slug) return [top.id, ...top.children.map((child) => child.id)];
      const child = top.children.find((c) => c.slug === slug);
      if (child) return [child.id];
    }
    throw new AppError(404, 'category_not_found', 'No such category.');
  }

  /**
   * A course page. The shared part is cached; `viewer` is read for each signed-in caller. A course
   * that is not published is a 404 for everyone but its owner and admins.
   */
  async courseBySlug(slug: string, actor: Actor | undefined): Promise<CourseDetail> {
    const detail = await this.cache.detail(slug, () => this.loadDetail(slug));
    if (detail.status !== 'published' && !can(actor, 'course.preview', { ownerId: detail.instructor.id })) {
      throw courseNotFound();
    }
    if (!actor) return detail;
    const state = await this.repository.viewerState(actor.userId, detail.id);
    return { ...detail, viewer: { ...state, isOwner: detail.instructor.id === actor.userId } };
  }

  private async loadDetail(slug: string): Promise<CourseDetail> {
    const rows = await this.repository.courseDetailBySlug(slug);
    if (!rows) throw courseNotFound();
    const card = toCourseCard(rows.card, this.options.mediaBaseUrl);
    const distribution = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
    for (const { rating, count } of rows.ratingCounts) {
      if (rating >= 1 && rating <= 5) distribution[rating as 1 | 2 | 3 | 4 | 5] = count;
    }
    const sections = rows.sections.map((section) => ({
      id: section.id,
      title: section.title,
      position: section.position,
      lessons: rows.lessons
        .filter((l) => l.sectionId === section.id)
        .map(({ sectionId: _section, ...lesson }) => lesson),
    }));
    return {
      ...card,
      description: rows.description,
      status: rows.card.status,
      sections,
      totalDurationSeconds: rows.lessons.reduce((sum, l) => sum + l.durationSeconds, 0),
      lessonCount: rows.lessons.length,
      ratingDistribution: distribution,
      instructor: { ...card.instructor, courseCount: rows.instructorCourseCount },
    };
  }

  async instructorPage(id: string): Promise<InstructorPage> {
    return this.cache.list(`instructor:${id}`, async () => {
      const user = await this.repository.instructor(id);
      const notFound = () => new AppError(404, 'instructor_not_found', 'No such instructor.');
      if (!user) throw notFound();
      const [courses, stats] = await Promise.all([
        this.repository.listPublished({ instructorId: id, sort: 'newest', page: 1, pageSize: 50 }),
        this.repository.instructorStats(id),
      ]);
      // A student who never taught has no instructor page.
      if (user.role === 'student' && stats.courseCount === 0) throw notFound();
      return {
        id: user.id,
        displayName: user.displayName,
        courses: courses.items.map((row) => toCourseCard(row, this.options.mediaBaseUrl)),
        stats: { ...stats, ratingAverage: Number(stats.ratingAverage) },
      };
    });
  }

  /**
   * A lesson's content: for whoever has access to the course (enrolled, owner, admin), and for
   * anyone when it is a free preview of a published course. Enrolled students keep access to an
   * unpublished or archived course; a course taken down by an admin is closed to them.
   */
  async lesson(lessonId: string, actor: Actor | undefined): Promise<LessonContent> {
    const found = await this.repository.lessonWithCourse(lessonId);
    if (!found) throw lessonNotFound();
    const { lesson, course } = found;
    const access = await this.openable(course, actor);
    const preview = lesson.isFreePreview && course.status === 'published' && !course.takenDownAt;
    if (access === 'none' && !preview) throw this.refusal(actor, course.status === 'published', lessonNotFound);
    const [attachments, video] = await Promise.all([
      access === 'none' ? [] : this.repository.attachmentsOf(lesson.id),
      lesson.type === 'video' && lesson.videoId ? this.videos.lessonVideo(lesson.videoId) : null,
    ]);
    return {
      id: lesson.id,
      courseId: lesson.courseId,
      sectionId: lesson.sectionId,
      title: lesson.title,
      type: lesson.type,
      position: lesson.position,
      isFreePreview: lesson.isFreePreview,
      durationSeconds: lesson.durationSeconds,
      body: lesson.body,
      videoId: lesson.videoId,
      video,
      attachments: attachments.map(toAttachmentView),
    };
  }

  /** A link to the file in storage, valid for five minutes; for enrolled students, the owner and admins. */
  async attachmentDownload(lessonId: string, attachmentId: string, actor: Actor | undefined): Promise<DownloadLink> {
    const found = await this.repository.lessonWithCourse(lessonId);
    if (!found) throw lessonNotFound();
    const access = await this.openable(found.course, actor);
    if (access === 'none') throw this.refusal(actor, found.course.status === 'published', lessonNotFound);
    const attachment = await this.repository.attachment(lessonId, attachmentId);
    if (!attachment) throw new AppError(404, 'attachment_not_found', 'No such attachment.');
    const url = await this.storage.presignGet(ATTACHMENT_BUCKET, attachment.storageKey, {
      expiresInSeconds: DOWNLOAD_URL_SECONDS,
      downloadName: attachment.fileName,
    });
    return { url, expiresAt: new Date(this.now().getTime() + DOWNLOAD_URL_SECONDS * 1000).toISOString() };
  }

  /** One processed cover file, for the public media route. */
  async coverFile(courseId: string, variant: string, file: string): Promise<{ body: Readable; contentType: string }> {
    const ext = file.slice(file.lastIndexOf('.') + 1) as keyof typeof COVER_FORMATS;
    try {
      const body = await this.storage.getObject(COVER_BUCKET, `covers/${courseId}/${variant}/${file}`);
      return { body, contentType: COVER_FORMATS[ext] };
    } catch (error) {
      if (isStorageError(error, 'not_found')) throw new AppError(404, 'not_found', 'No such image.');
      throw error;
    }
  }

  /** The caller's access to a course's content, with a takedown closing it to everyone but staff. */
  private async openable(
    course: { id: string; takenDownAt: Date | null },
    actor: Actor | undefined,
  ): Promise<'admin' | 'owner' | 'enrolled' | 'none'> {
    const access = await this.access.accessOf(actor, course.id);
    if (course.takenDownAt && access === 'enrolled') return 'none';
    return access;
  }

  /**
   * Why the caller may not open it: a course that is not public does not exist for them; otherwise
   * sign in (anonymous) or enroll.
   */
  private refusal(actor: Actor | undefined, isPublic: boolean, notFound: () => AppError): AppError {
    if (!isPublic) return notFound();
    if (!actor) return new AppError(401, 'unauthenticated', 'Sign in to open this lesson.');
    return new AppError(403, 'not_enrolled', 'Enroll in the course to open this lesson.');
  }
}
