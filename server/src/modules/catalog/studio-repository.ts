import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/port.js';
import { users } from '../users/schema.js';
import { videos } from '../videos/schema.js';
import type { AttachmentRow, CategoryRow, CourseRow, LessonRow, SectionRow } from './repository.js';
import { categories, courseSections, courses, lessonAttachments, lessons } from './schema.js';

export type NewCourse = typeof courses.$inferInsert;
export type CourseChanges = Partial<
  Pick<
    CourseRow,
    | 'title'
    | 'subtitle'
    | 'description'
    | 'level'
    | 'language'
    | 'priceAmount'
    | 'currency'
    | 'categoryId'
    | 'tags'
    | 'status'
    | 'coverKey'
    | 'coverVersion'
    | 'takedownReason'
    | 'takenDownAt'
    | 'takenDownBy'
    | 'publishedAt'
  >
>;
export type LessonChanges = Partial<
  Pick<LessonRow, 'title' | 'type' | 'isFreePreview' | 'durationSeconds' | 'body' | 'videoId'>
>;

/** The owner of what a studio call touches, found from the section, lesson or attachment id. */
export interface Owned<T> {
  row: T;
  courseId: string;
  instructorId: string;
}

/** The instructor studio's reads and writes; all on the primary (an editor sees what it just saved). */
export class StudioRepository {
  constructor(private readonly primary: Db) {}

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return this.primary.transaction((tx) => work(tx));
  }

  async course(id: string, db: Db = this.primary): Promise<CourseRow | undefined> {
    const [row] = await db.select().from(courses).where(eq(courses.id, id));
    return row;
  }

  /** Locks the course until the transaction ends, so curriculum edits and publishing take turns. */
  async lockCourse(tx: Db, id: string): Promise<CourseRow | undefined> {
    const [row] = await tx.select().from(courses).where(eq(courses.id, id)).for('update');
    return row;
  }

  /** Undefined when the slug is taken: the unique index decides, so two creators cannot race past a check. */
  async insertCourse(tx: Db, values: NewCourse): Promise<CourseRow | undefined> {
    const [row] = await tx.insert(courses).values(values).onConflictDoNothing({ target: courses.slug }).returning();
    return row;
  }

  async updateCourse(tx: Db, id: string, changes: CourseChanges): Promise<CourseRow> {
    const [row] = await tx
      .update(courses)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(courses.id, id))
      .returning();
    if (!row) throw new Error(`course ${id} vanished inside its own transaction`);
    return row;
  }

  /**
   * Takes the next cover version for an upload about to be stored. One statement, no lock: two
   * uploads at once get different versions, so their files never overwrite each other.
   */
  async reserveCoverVersion(id: string): Promise<number> {
    const [row] = await this.primary
      .update(courses)
      .set({ coverVersion: sql`${courses.coverVersion} + 1` })
      .where(eq(courses.id, id))
      .returning({ version: courses.coverVersion });
    if (!row) throw new Error(`course ${id} not found`);
    return row.version;
  }

  async userName(id: string): Promise<string> {
    const [row] = await this.primary.select({ displayName: users.displayName }).from(users).where(eq(users.id, id));
    return row?.displayName ?? '';
  }

  async coursesOf(instructorId: string, page: number, pageSize: number) {
    const where = eq(courses.instructorId, instructorId);
    const [items, [counted]] = await Promise.all([
      this.primary
        .select({
          course: courses,
          // Spelled out: a bare "id" (Drizzle's rendering in a one-table query) would mean the lesson's.
          lessonCount: sql<number>`(select count(*)::int from lessons l where l.course_id = courses.id)`,
        })
        .from(courses)
        .where(where)
        .orderBy(desc(courses.updatedAt), desc(courses.id))
        .limit(pageSize)
        .offset((page - 1) * pageSize),
      this.primary
        .select({ n: sql<number>`count(*)::int` })
        .from(courses)
        .where(where),
    ]);
    return { items, total: counted?.n ?? 0 };
  }

  async curriculum(courseId: string, db: Db = this.primary) {
    const sections = db
      .select()
      .from(courseSections)
      .where(eq(courseSections.courseId, courseId))
      .orderBy(asc(courseSections.position), asc(courseSections.createdAt));
    const lessonRows = db
      .select()
      .from(lessons)
      .where(eq(lessons.courseId, courseId))
      .orderBy(asc(lessons.position), asc(lessons.createdAt));
    const attachments = db
      .select()
      .from(lessonAttachments)
      .where(eq(lessonAttachments.courseId, courseId))
      .orderBy(asc(lessonAttachments.createdAt), asc(lessonAttachments.id));
    // Drizzle runs a query when it is awaited. Outside a transaction the three go to the pool at
    // once; a transaction is one connection, where node-postgres would only queue them (a
    // deprecated use that pg 9 removes), so there they run in turn.
    if (db === this.primary) {
      const [s, l, a] = await Promise.all([sections, lessonRows, attachments]);
      return { sections: s, lessons: l, attachments: a };
    }
    return { sections: await sections, lessons: await lessonRows, attachments: await attachments };
  }

  async lessonCount(courseId: string, db: Db = this.primary): Promise<number> {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(lessons)
      .where(eq(lessons.courseId, courseId));
    return row?.n ?? 0;
  }

  /** What the publish checklist counts: lessons, and video lessons without a ready video. */
  async checklistFacts(
    courseId: string,
    db: Db = this.primary,
  ): Promise<{ lessonCount: number; unreadyVideoLessons: number }> {
    const [row] = await db
      .select({
        lessonCount: sql<number>`count(*)::int`,
        unreadyVideoLessons: sql<number>`(count(*) filter (where ${lessons.type} = 'video'
          and (${videos.id} is null or ${videos.status} <> 'ready')))::int`,
      })
      .from(lessons)
      .leftJoin(videos, eq(videos.id, lessons.videoId))
      .where(eq(lessons.courseId, courseId));
    return { lessonCount: row?.lessonCount ?? 0, unreadyVideoLessons: row?.unreadyVideoLessons ?? 0 };
  }

  async section(id: string): Promise<Owned<SectionRow> | undefined> {
    const [row] = await this.primary
      .select({ row: courseSections, courseId: courses.id, instructorId: courses.instructorId })
      .from(courseSections)
      .innerJoin(courses, eq(courses.id, courseSections.courseId))
      .where(eq(courseSections.id, id));
    return row;
  }

  async lesson(id: string): Promise<Owned<LessonRow> | undefined> {
    const [row] = await this.primary
      .select({ row: lessons, courseId: courses.id, instructorId: courses.instructorId })
      .from(lessons)
      .innerJoin(courses, eq(courses.id, lessons.courseId))
      .where(eq(lessons.id, id));
    return row;
  }

  async attachment(id: string): Promise<Owned<AttachmentRow> | undefined> {
    const [row] = await this.primary
      .select({ row: lessonAttachments, courseId: courses.id, instructorId: courses.instructorId })
      .from(lessonAttachments)
      .innerJoin(courses, eq(courses.id, lessonAttachments.courseId))
      .where(eq(lessonAttachments.id, id));
    return row;
  }

  /** Appended after the course's last section. */
  async insertSection(tx: Db, courseId: string, title: string): Promise<SectionRow> {
    const [row] = await tx
      .insert(courseSections)
      .values({
        courseId,
        title,
        position: sql`(select coalesce(max(${courseSections.position}) + 1, 0) from ${courseSections}
          where ${courseSections.courseId} = ${courseId})`,
      })
      .returning();
    return row!;
  }

  async updateSection(tx: Db, id: string, title: string): Promise<SectionRow> {
    const [row] = await tx.update(courseSections).set({ title }).where(eq(courseSections.id, id)).returning();
    return row!;
  }

  /** Its lessons and their attachment rows go with it (foreign-key cascade). */
  async deleteSection(tx: Db, id: string): Promise<void> {
    await tx.delete(courseSections).where(eq(courseSections.id, id));
  }

  /** Appended after the section's last lesson. */
  async insertLesson(
    tx: Db,
    values: { courseId: string; sectionId: string } & Required<Omit<LessonChanges, 'videoId'>>,
  ): Promise<LessonRow> {
    const [row] = await tx
      .insert(lessons)
      .values({
        ...values,
        position: sql`(select coalesce(max(${lessons.position}) + 1, 0) from ${lessons}
          where ${lessons.sectionId} = ${values.sectionId})`,
      })
      .returning();
    return row!;
  }

  async updateLesson(tx: Db, id: string, changes: LessonChanges): Promise<LessonRow> {
    const [row] = await tx
      .update(lessons)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(lessons.id, id))
      .returning();
    return row!;
  }

  async deleteLesson(tx: Db, id: string): Promise<void> {
    await tx.delete(lessons).where(eq(lessons.id, id));
  }

  /** Storage keys of the attachments under these lessons, to delete the objects once the rows are gone. */
  async attachmentKeys(db: Db, lessonIds: string[]): Promise<string[]> {
    if (lessonIds.length === 0) return [];
    const rows = await db
      .select({ key: lessonAttachments.storageKey })
      .from(lessonAttachments)
      .where(inArray(lessonAttachments.lessonId, lessonIds));
    return rows.map((r) => r.key);
  }

  async lessonIdsOfSection(db: Db, sectionId: string): Promise<string[]> {
    const rows = await db.select({ id: lessons.id }).from(lessons).where(eq(lessons.sectionId, sectionId));
    return rows.map((r) => r.id);
  }

  /** Closes the gaps a deletion leaves, keeping the order: positions become 0, 1, 2, ... */
  async renumberSections(tx: Db, courseId: string): Promise<void> {
    await tx.execute(sql`
      update ${courseSections} set position = ordered.rn - 1
      from (select id, row_number() over (order by position, created_at, id) as rn
            from ${courseSections} where course_id = ${courseId}) as ordered
      where ${courseSections.id} = ordered.id`);
  }

  async renumberLessons(tx: Db, sectionId: string): Promise<void> {
    await tx.execute(sql`
      update ${lessons} set position = ordered.rn - 1
      from (select id, row_number() over (order by position, created_at, id) as rn
            from ${lessons} where section_id = ${sectionId}) as ordered
      where ${lessons.id} = ordered.id`);
  }

  async setSectionPosition(tx: Db, id: string, position: number): Promise<void> {
    await tx.update(courseSections).set({ position }).where(eq(courseSections.id, id));
  }

  async placeLesson(tx: Db, id: string, sectionId: string, position: number): Promise<void> {
    await tx.update(lessons).set({ sectionId, position, updatedAt: new Date() }).where(eq(lessons.id, id));
  }

  async insertAttachment(tx: Db, values: typeof lessonAttachments.$inferInsert): Promise<AttachmentRow> {
    const [row] = await tx.insert(lessonAttachments).values(values).returning();
    return row!;
  }

  async deleteAttachment(tx: Db, id: string): Promise<void> {
    await tx.delete(lessonAttachments).where(and(eq(lessonAttachments.id, id)));
  }

  async insertCategory(input: {
    slug: string;
    nameKo: string;
    nameEn: string;
    parentSlug?: string;
    position?: number;
  }): Promise<CategoryRow | 'parent_not_found' | 'too_deep' | 'slug_taken'> {
    let parentId: string | null = null;
    if (input.parentSlug !== undefined) {
      const [parent] = await this.primary.select().from(categories).where(eq(categories.slug, input.parentSlug));
      if (!parent) return 'parent_not_found';
      if (parent.parentId !== null) return 'too_deep';
      parentId = parent.id;
    }
    const [row] = await this.primary
      .insert(categories)
      .values({ slug: input.slug, nameKo: input.nameKo, nameEn: input.nameEn, parentId, position: input.position ?? 0 })
      .onConflictDoNothing({ target: categories.slug })
      .returning();
    return row ?? 'slug_taken';
  }
}
