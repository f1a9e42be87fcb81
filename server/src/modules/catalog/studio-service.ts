import { randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { z } from 'zod';
import type { Db } from '../../platform/db/port.js';
import type { ImageProcessor } from '../../platform/media/images.js';
import { ImageRejected } from '../../platform/media/images.js';
import type { StoragePort } from '../../platform/storage/port.js';
import type { LessonVideoLookup } from '../videos/video-service.js';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import { courseNotFound, type CourseWriter } from './course-writer.js';
import type { CatalogRepository, CourseRow } from './repository.js';
import type {
  checklistSchema,
  CourseInput,
  CoursePatch,
  CurriculumInput,
  LessonInput,
  LessonPatch,
  studioCourseSchema,
  studioCourseSummarySchema,
  studioLessonSchema,
  studioSectionSchema,
} from './schemas.js';
import { ATTACHMENT_BUCKET, COVER_BUCKET, type Page } from './service.js';
import { withRandomSuffix, slugify } from './slug.js';
import type { CourseChanges, LessonChanges, StudioRepository } from './studio-repository.js';
import {
  COVER_ASPECT,
  COVER_WIDTHS,
  coverImage,
  coverPrefix,
  priceOf,
  toAttachmentView,
  type AttachmentView,
  type CoverImage,
} from './views.js';

export type StudioCourse = z.infer<typeof studioCourseSchema>;
export type StudioCourseSummary = z.infer<typeof studioCourseSummarySchema>;
export type StudioSection = z.infer<typeof studioSectionSchema>;
export type StudioLesson = z.infer<typeof studioLessonSchema>;
export type Checklist = z.infer<typeof checklistSchema>;

export interface StudioLog {
  warn(details: object, message: string): void;
}

export const COVER_MAX_BYTES = 10 * 1024 * 1024;
export const COVER_MIN_WIDTH = 640;
export const ATTACHMENT_MAX_BYTES = 100 * 1024 * 1024;

// Control characters break headers and logs; slashes would pretend to be paths.
// eslint-disable-next-line no-control-regex
const FILE_NAME_FORBIDDEN = /[\u0000-\u001f\u007f/\\]/;

/** Trimmed, NFC, and one of each ignoring case: `Python` and `python` are the same tag. */
function normalizeTags(tags: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.normalize('NFC').trim();
    const key = tag.toLowerCase();
    if (tag && !seen.has(key)) {
      seen.add(key);
      out.push(tag);
    }
  }
  return out;
}

/** Counts bytes as they pass and fails the stream once there are more than `max`. */
function byteLimit(max: number): Transform & { bytes: number; exceeded: boolean } {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counter.bytes += chunk.length;
      if (counter.bytes > max) {
        counter.exceeded = true;
        done(new AppError(413, 'payload_too_large', `The file is larger than ${max} bytes.`, { maxBytes: max }));
        return;
      }
      done(null, chunk);
    },
  }) as Transform & { bytes: number; exceeded: boolean };
  counter.bytes = 0;
  counter.exceeded = false;
  return counter;
}

/**
 * The instructor studio: a course's owner (or an admin) builds it, from the first draft through
 * curriculum, cover and attachments to publishing. Every write that changes what students see goes
 * through the CourseWriter (one transaction, search kept in sync, cache renewed after commit).
 */
export class StudioService {
  constructor(
    private readonly repository: StudioRepository,
    private readonly catalog: CatalogRepository,
    private readonly writer: CourseWriter,
    private readonly storage: StoragePort,
    private readonly images: ImageProcessor,
    private readonly videos: Pick<LessonVideoLookup, 'attachableVideo'>,
    private readonly options: { mediaBaseUrl: string },
    private readonly log?: StudioLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  // ---- Courses ----

  async mine(actor: Actor, page: number, pageSize: number): Promise<Page<StudioCourseSummary>> {
    const { items, total } = await this.repository.coursesOf(actor.userId, page, pageSize);
    return {
      items: items.map(({ course, lessonCount }) => ({
        id: course.id,
        slug: course.slug,
        title: course.title,
        status: course.status,
        cover: coverImage(course.coverKey, course.title, this.options.mediaBaseUrl),
        price: priceOf(course),
        lessonCount,
        enrollmentCount: course.enrollmentCount,
        takenDown: course.takenDownAt !== null,
        publishedAt: course.publishedAt?.toISOString() ?? null,
        updatedAt: course.updatedAt.toISOString(),
      })),
      total,
      page,
      pageSize,
    };
  }

  /** A new draft owned by the caller; its slug comes from the title, with a suffix if taken. */
  async create(actor: Actor, input: CourseInput): Promise<StudioCourse> {
    const changes = await this.courseChanges(input);
    const base = slugify(input.title);
    const course = await this.repository.transaction(async (tx) => {
      for (let attempt = 0; attempt < 6; attempt += 1) {
        const slug = attempt === 0 ? base : withRandomSuffix(base);
        const created = await this.repository.insertCourse(tx, {
          ...changes,
          title: input.title,
          instructorId: actor.userId,
          slug,
        });
        if (created) return created;
      }
      throw new Error('could not find a free slug after several random suffixes');
    });
    // A draft is in no list or search result; nothing cached shows it yet.
    return this.view(course);
  }

  async get(actor: Actor, courseId: string): Promise<StudioCourse> {
    return this.view(await this.owned(actor, courseId));
  }

  async update(actor: Actor, courseId: string, patch: CoursePatch): Promise<StudioCourse> {
    await this.owned(actor, courseId);
    const changes = await this.courseChanges(patch);
    const course = await this.writer.write(courseId, (tx) => this.repository.updateCourse(tx, courseId, changes));
    return this.view(course);
  }

  async checklist(actor: Actor, courseId: string): Promise<Checklist> {
    const course = await this.owned(actor, courseId);
    return this.checklistOf(course, await this.repository.checklistFacts(courseId));
  }

  /** 422 `publish_checklist_failed` naming what is missing; 409 `course_taken_down` until an admin restores it. */
  async publish(actor: Actor, courseId: string): Promise<StudioCourse> {
    await this.owned(actor, courseId);
    const course = await this.writer.write(courseId, async (tx, current) => {
      if (current.takenDownAt) {
        throw new AppError(409, 'course_taken_down', 'An admin took this course down; it cannot be published.', {
          reason: current.takedownReason,
        });
      }
      const checklist = this.checklistOf(current, await this.repository.checklistFacts(courseId, tx));
      if (!checklist.ready) {
        const failed = checklist.items.filter((i) => !i.ok).map((i) => i.code);
        throw new AppError(422, 'publish_checklist_failed', `Not ready to publish: ${failed.join(', ')}.`, {
          failed,
          items: checklist.items,
        });
      }
      if (current.status === 'published') return current;
      return this.repository.updateCourse(tx, courseId, { status: 'published', publishedAt: this.now() });
    });
    return this.view(course);
  }

  /** Back to draft: off the catalog and search; enrolled students keep their access. */
  async unpublish(actor: Actor, courseId: string): Promise<StudioCourse> {
    return this.setStatus(actor, courseId, 'draft');
  }

  /** Retired: off the catalog and search for good (it can still be published again); enrolled students keep access. */
  async archive(actor: Actor, courseId: string): Promise<StudioCourse> {
    return this.setStatus(actor, courseId, 'archived');
  }

  private async setStatus(actor: Actor, courseId: string, status: 'draft' | 'archived'): Promise<StudioCourse> {
    await this.owned(actor, courseId);
    // publishedAt is cleared: publishing again dates the course anew, and a takedown's restore
    // reads a set publishedAt as "it was published when taken down".
    const course = await this.writer.write(courseId, (tx) =>
      this.repository.updateCourse(tx, courseId, { status, publishedAt: null }),
    );
    return this.view(course);
  }

  // ---- Sections and lessons ----

  async addSection(actor: Actor, courseId: string, title: string): Promise<StudioSection> {
    await this.owned(actor, courseId);
    const section = await this.writer.write(courseId, (tx) => this.repository.insertSection(tx, courseId, title));
    return { id: section.id, title: section.title, position: section.position, lessons: [] };
  }

  async renameSection(actor: Actor, sectionId: string, title: string): Promise<StudioSection> {
    const { courseId } = await this.ownedSection(actor, sectionId);
    await this.writer.write(courseId, (tx) => this.repository.updateSection(tx, sectionId, title));
    return this.sectionView(courseId, sectionId);
  }

  /** The section goes with its lessons and their attachment files. */
  async deleteSection(actor: Actor, sectionId: string): Promise<void> {
    const { courseId } = await this.ownedSection(actor, sectionId);
    const keys = await this.writer.write(courseId, async (tx, course) => {
      const keys = await this.repository.attachmentKeys(tx, await this.repository.lessonIdsOfSection(tx, sectionId));
      await this.repository.deleteSection(tx, sectionId);
      await this.repository.renumberSections(tx, courseId);
      await this.assertStillHasLesson(tx, course);
      return keys;
    });
    await this.deleteObjects(ATTACHMENT_BUCKET, keys);
  }

  async addLesson(actor: Actor, sectionId: string, input: LessonInput): Promise<StudioLesson> {
    const { courseId } = await this.ownedSection(actor, sectionId);
    const lesson = await this.writer.write(courseId, (tx) =>
      this.repository.insertLesson(tx, {
        courseId,
        sectionId,
        title: input.title,
        type: input.type,
        isFreePreview: input.isFreePreview ?? false,
        durationSeconds: input.durationSeconds ?? 0,
        body: input.body ?? '',
      }),
    );
    return { ...this.lessonView(lesson), attachments: [] };
  }

  /**
   * A linked video must be the course instructor's (404 `video_not_found` otherwise, also for an
   * admin editing someone's course); once it is ready its duration becomes the lesson's.
   */
  async updateLesson(actor: Actor, lessonId: string, patch: LessonPatch): Promise<StudioLesson> {
    const { courseId, instructorId } = await this.ownedLesson(actor, lessonId);
    const changes: LessonChanges = { ...patch };
    if (patch.videoId) {
      const video = await this.videos.attachableVideo(instructorId, patch.videoId);
      if (video.status === 'ready' && video.durationSeconds !== null) {
        changes.durationSeconds = Math.round(video.durationSeconds);
      }
    }
    const lesson = await this.writer.write(courseId, (tx) => this.repository.updateLesson(tx, lessonId, changes));
    const attachments = (await this.repository.curriculum(courseId)).attachments.filter((a) => a.lessonId === lessonId);
    return { ...this.lessonView(lesson), attachments: attachments.map(toAttachmentView) };
  }

  async deleteLesson(actor: Actor, lessonId: string): Promise<void> {
    const { courseId, row } = await this.ownedLesson(actor, lessonId);
    const keys = await this.writer.write(courseId, async (tx, course) => {
      const keys = await this.repository.attachmentKeys(tx, [lessonId]);
      await this.repository.deleteLesson(tx, lessonId);
      await this.repository.renumberLessons(tx, row.sectionId);
      await this.assertStillHasLesson(tx, course);
      return keys;
    });
    await this.deleteObjects(ATTACHMENT_BUCKET, keys);
  }

  /**
   * The whole order in one call: every section of the course exactly once, and every lesson exactly
   * once under the section it now belongs to. Anything else is refused whole (422
   * `curriculum_mismatch`): applying part of an order drawn from a stale editor would scramble it.
   */
  async reorder(actor: Actor, courseId: string, input: CurriculumInput): Promise<StudioSection[]> {
    await this.owned(actor, courseId);
    await this.writer.write(courseId, async (tx) => {
      const { sections, lessons } = await this.repository.curriculum(courseId, tx);
      const problems = curriculumProblems(
        sections.map((s) => s.id),
        lessons.map((l) => l.id),
        input,
      );
      if (problems) {
        throw new AppError(
          422,
          'curriculum_mismatch',
          'The order must name every section and lesson of the course exactly once.',
          problems,
        );
      }
      for (const [sectionPosition, section] of input.sections.entries()) {
        await this.repository.setSectionPosition(tx, section.id, sectionPosition);
        for (const [lessonPosition, lessonId] of section.lessonIds.entries()) {
          await this.repository.placeLesson(tx, lessonId, section.id, lessonPosition);
        }
      }
    });
    return (await this.view(await this.owned(actor, courseId))).sections;
  }

  // ---- Cover and attachments ----

  /**
   * Decodes the upload, crops it to 16:9 and stores WebP and JPEG renditions under a new version,
   * then points the course at them. The previous version's files are deleted afterwards.
   */
  async uploadCover(actor: Actor, courseId: string, image: Buffer): Promise<CoverImage> {
    await this.owned(actor, courseId);
    let renditions;
    try {
      renditions = await this.images.renderCover(image, {
        widths: COVER_WIDTHS,
        minWidth: COVER_MIN_WIDTH,
        aspect: COVER_ASPECT,
      });
    } catch (error) {
      if (error instanceof ImageRejected) {
        const status = error.problem === 'unsupported_image_type' ? 415 : 422;
        throw new AppError(status, error.problem, error.message, error.details);
      }
      throw error;
    }
    const version = await this.repository.reserveCoverVersion(courseId);
    const maxWidth = Math.max(...renditions.map((r) => r.width));
    const prefix = coverPrefix(courseId, version, maxWidth);
    const keys = renditions.map((r) => `${prefix}/${r.width}.${r.format === 'webp' ? 'webp' : 'jpg'}`);
    try {
      await Promise.all(
        renditions.map((r, i) =>
          this.storage.putObject(COVER_BUCKET, keys[i]!, r.data, {
            contentType: r.format === 'webp' ? 'image/webp' : 'image/jpeg',
          }),
        ),
      );
    } catch (error) {
      await this.deleteObjects(COVER_BUCKET, keys);
      throw error;
    }
    let previousKey: string | null = null;
    try {
      const course = await this.writer.write(courseId, async (tx, current) => {
        // A later upload reserved a newer version while this one was processing: it wins.
        if (current.coverVersion !== version) {
          throw new AppError(409, 'cover_superseded', 'A newer cover was uploaded meanwhile.');
        }
        previousKey = current.coverKey;
        return this.repository.updateCourse(tx, courseId, { coverKey: prefix });
      });
      const cover = coverImage(course.coverKey, course.title, this.options.mediaBaseUrl);
      if (!cover) throw new Error('a stored cover key did not parse');
      return cover;
    } catch (error) {
      await this.deleteObjects(COVER_BUCKET, keys);
      previousKey = null;
      throw error;
    } finally {
      if (previousKey && previousKey !== prefix) await this.deleteCoverFiles(previousKey);
    }
  }

  async addAttachment(
    actor: Actor,
    lessonId: string,
    upload: { fileName: string; contentType: string | undefined; body: Readable },
  ): Promise<AttachmentView> {
    const { courseId } = await this.ownedLesson(actor, lessonId);
    const fileName = upload.fileName.normalize('NFC').trim();
    if (
      !fileName ||
      fileName.length > 200 ||
      FILE_NAME_FORBIDDEN.test(fileName) ||
      fileName === '.' ||
      fileName === '..'
    ) {
      upload.body.resume();
      throw new AppError(400, 'invalid_file_name', 'Give a file name of 1–200 characters without slashes.');
    }
    const contentType =
      upload.contentType && /^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(upload.contentType)
        ? upload.contentType
        : 'application/octet-stream';
    const id = randomUUID();
    const key = `lessons/${lessonId}/${id}`;
    const counter = byteLimit(ATTACHMENT_MAX_BYTES);
    try {
      await this.storage.putObject(ATTACHMENT_BUCKET, key, upload.body.pipe(counter), { contentType });
    } catch (error) {
      upload.body.resume();
      await this.deleteObjects(ATTACHMENT_BUCKET, [key]);
      if (counter.exceeded) {
        throw new AppError(413, 'payload_too_large', 'An attachment may be at most 100 MB.', {
          maxBytes: ATTACHMENT_MAX_BYTES,
        });
      }
      throw error;
    }
    if (counter.bytes === 0) {
      await this.deleteObjects(ATTACHMENT_BUCKET, [key]);
      throw new AppError(400, 'empty_file', 'The file is empty.');
    }
    try {
      // Attachments are not on any public page or in search: no cache or index to touch.
      const row = await this.repository.transaction((tx) =>
        this.repository.insertAttachment(tx, {
          id,
          lessonId,
          courseId,
          fileName,
          contentType,
          sizeBytes: counter.bytes,
          storageKey: key,
        }),
      );
      return toAttachmentView(row);
    } catch (error) {
      await this.deleteObjects(ATTACHMENT_BUCKET, [key]);
      throw error;
    }
  }

  async deleteAttachment(actor: Actor, attachmentId: string): Promise<void> {
    const found = await this.repository.attachment(attachmentId);
    if (!found || !can(actor, 'course.update', { ownerId: found.instructorId })) {
      throw new AppError(404, 'attachment_not_found', 'No such attachment.');
    }
    await this.repository.transaction((tx) => this.repository.deleteAttachment(tx, attachmentId));
    await this.deleteObjects(ATTACHMENT_BUCKET, [found.row.storageKey]);
  }

  // ---- Helpers ----

  /** The course if the caller may edit it; to anyone else it does not exist. */
  private async owned(actor: Actor, courseId: string): Promise<CourseRow> {
    const course = await this.repository.course(courseId);
    if (!course || !can(actor, 'course.update', { ownerId: course.instructorId })) throw courseNotFound();
    return course;
  }

  private async ownedSection(actor: Actor, sectionId: string) {
    const found = await this.repository.section(sectionId);
    if (!found || !can(actor, 'course.update', { ownerId: found.instructorId })) {
      throw new AppError(404, 'section_not_found', 'No such section.');
    }
    return found;
  }

  private async ownedLesson(actor: Actor, lessonId: string) {
    const found = await this.repository.lesson(lessonId);
    if (!found || !can(actor, 'course.update', { ownerId: found.instructorId })) {
      throw new AppError(404, 'lesson_not_found', 'No such lesson.');
    }
    return found;
  }

  /** A published course must keep at least one lesson; the deletion is rolled back otherwise. */
  private async assertStillHasLesson(tx: Db, course: CourseRow) {
    if (course.status === 'published' && (await this.repository.lessonCount(course.id, tx)) === 0) {
      throw new AppError(
        409,
        'published_course_needs_lesson',
        'A published course keeps at least one lesson; unpublish it first.',
      );
    }
  }

  private async courseChanges(input: CoursePatch): Promise<CourseChanges> {
    const changes: CourseChanges = {};
    if (input.title !== undefined) changes.title = input.title;
    if (input.subtitle !== undefined) changes.subtitle = input.subtitle;
    if (input.description !== undefined) changes.description = input.description;
    if (input.level !== undefined) changes.level = input.level;
    if (input.language !== undefined) changes.language = input.language;
    if (input.tags !== undefined) changes.tags = normalizeTags(input.tags);
    if (input.price === null) changes.priceAmount = null;
    if (input.price) {
      changes.priceAmount = input.price.amount;
      changes.currency = input.price.currency;
    }
    if (input.categoryId !== undefined) {
      if (input.categoryId !== null && !(await this.catalog.categoryExists(input.categoryId))) {
        throw new AppError(422, 'category_not_found', 'No such category.', { categoryId: input.categoryId });
      }
      changes.categoryId = input.categoryId;
    }
    return changes;
  }

  private checklistOf(course: CourseRow, facts: { lessonCount: number; unreadyVideoLessons: number }): Checklist {
    const items: Checklist['items'] = [
      { code: 'title_set', ok: course.title.trim().length > 0 },
      { code: 'category_set', ok: course.categoryId !== null },
      { code: 'price_set', ok: course.priceAmount !== null },
      { code: 'cover_set', ok: course.coverKey !== null },
      { code: 'has_lesson', ok: facts.lessonCount > 0 },
      // Students would meet a lesson that cannot play: every video lesson needs a ready video.
      { code: 'videos_ready', ok: facts.unreadyVideoLessons === 0 },
    ];
    return { ready: items.every((i) => i.ok), items };
  }

  private lessonView(lesson: {
    id: string;
    title: string;
    type: StudioLesson['type'];
    position: number;
    isFreePreview: boolean;
    durationSeconds: number;
    body: string;
    videoId: string | null;
  }): Omit<StudioLesson, 'attachments'> {
    return {
      id: lesson.id,
      title: lesson.title,
      type: lesson.type,
      position: lesson.position,
      isFreePreview: lesson.isFreePreview,
      durationSeconds: lesson.durationSeconds,
      body: lesson.body,
      videoId: lesson.videoId,
    };
  }

  private async sectionView(courseId: string, sectionId: string): Promise<StudioSection> {
    const course = await this.repository.course(courseId);
    if (!course) throw courseNotFound();
    const section = (await this.view(course)).sections.find((s) => s.id === sectionId);
    if (!section) throw new AppError(404, 'section_not_found', 'No such section.');
    return section;
  }

  private async view(course: CourseRow): Promise<StudioCourse> {
    const [curriculum, instructorName, facts] = await Promise.all([
      this.repository.curriculum(course.id),
      this.repository.userName(course.instructorId),
      this.repository.checklistFacts(course.id),
    ]);
    const sections = curriculum.sections.map((section) => ({
      id: section.id,
      title: section.title,
      position: section.position,
      lessons: curriculum.lessons
        .filter((l) => l.sectionId === section.id)
        .map((lesson) => ({
          ...this.lessonView(lesson),
          attachments: curriculum.attachments.filter((a) => a.lessonId === lesson.id).map(toAttachmentView),
        })),
    }));
    return {
      id: course.id,
      slug: course.slug,
      status: course.status,
      title: course.title,
      subtitle: course.subtitle,
      description: course.description,
      level: course.level,
      language: course.language,
      price: priceOf(course),
      categoryId: course.categoryId,
      tags: course.tags,
      cover: coverImage(course.coverKey, course.title, this.options.mediaBaseUrl),
      instructor: { id: course.instructorId, displayName: instructorName },
      sections,
      checklist: this.checklistOf(course, facts),
      takedown:
        course.takedownReason && course.takenDownAt
          ? { reason: course.takedownReason, at: course.takenDownAt.toISOString() }
          : null,
      publishedAt: course.publishedAt?.toISOString() ?? null,
      createdAt: course.createdAt.toISOString(),
      updatedAt: course.updatedAt.toISOString(),
    };
  }

  private async deleteCoverFiles(prefix: string): Promise<void> {
    try {
      const { objects } = await this.storage.list(COVER_BUCKET, `${prefix}/`);
      await this.deleteObjects(
        COVER_BUCKET,
        objects.map((o) => o.key),
      );
    } catch (error) {
      this.log?.warn({ err: error, prefix }, 'could not list an old cover for deletion');
    }
  }

  /** Best effort, after the rows are gone: a leftover object wastes space but breaks nothing. */
  private async deleteObjects(bucket: typeof COVER_BUCKET | typeof ATTACHMENT_BUCKET, keys: string[]): Promise<void> {
    await Promise.all(
      keys.map((key) =>
        this.storage.deleteObject(bucket, key).catch((error: unknown) => {
          this.log?.warn({ err: error, bucket, key }, 'could not delete a stored object');
        }),
      ),
    );
  }
}

/** What is wrong with a proposed curriculum order, or undefined when it names everything exactly once. */
export function curriculumProblems(
  sectionIds: string[],
  lessonIds: string[],
  input: CurriculumInput,
): Record<string, string[]> | undefined {
  const proposedSections = input.sections.map((s) => s.id);
  const proposedLessons = input.sections.flatMap((s) => s.lessonIds);
  const duplicates = (ids: string[]) => [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  const problems: Record<string, string[]> = {
    missingSections: sectionIds.filter((id) => !proposedSections.includes(id)),
    unknownSections: proposedSections.filter((id) => !sectionIds.includes(id)),
    duplicateSections: duplicates(proposedSections),
    missingLessons: lessonIds.filter((id) => !proposedLessons.includes(id)),
    unknownLessons: proposedLessons.filter((id) => !lessonIds.includes(id)),
    duplicateLessons: duplicates(proposedLessons),
  };
  const found = Object.fromEntries(Object.entries(problems).filter(([, ids]) => ids.length > 0));
  return Object.keys(found).length ? found : undefined;
}
