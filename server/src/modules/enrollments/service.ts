import { AppError } from '../app-error.js';
import type { CatalogInvalidator } from '../catalog/invalidation.js';
import { toCourseCard } from '../catalog/views.js';
import type { EnrollmentRepository, EnrollmentRow } from './repository.js';

export interface EnrollmentView {
  id: string;
  courseId: string;
  source: EnrollmentRow['source'];
  status: EnrollmentRow['status'];
  enrolledAt: string;
}

function toEnrollmentView(row: EnrollmentRow): EnrollmentView {
  return {
    id: row.id,
    courseId: row.courseId,
    source: row.source,
    status: row.status,
    enrolledAt: row.createdAt.toISOString(),
  };
}

/** Told when a student loses a course (a refund, an admin's decision): playback ends their sessions. */
export interface EnrollmentRevocationListener {
  enrollmentRevoked(userId: string, courseId: string): Promise<void>;
}

const courseNotFound = () => new AppError(404, 'course_not_found', 'No such course.');
const alreadyEnrolled = () => new AppError(409, 'already_enrolled', 'You are already enrolled in this course.');

/**
 * Enrolling (free courses today; paid ones through the same record with commerce), the student's
 * own list of courses, and the wishlist. Personal data of a user (export, erasure) is answered here too.
 */
export class EnrollmentService {
  constructor(
    private readonly enrollments: EnrollmentRepository,
    private readonly catalog: CatalogInvalidator,
    /** Cards are the catalog's (toCourseCard); their cover URLs start here. */
    private readonly options: { mediaBaseUrl: string },
    private readonly revocationListeners: readonly EnrollmentRevocationListener[] = [],
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** One click for a free published course. Paid ones answer 402 until commerce takes the order. */
  async enrollFree(userId: string, courseId: string): Promise<EnrollmentView> {
    const enrollment = await this.enrollments.transaction(async (tx) => {
      const course = await this.enrollments.findCourse(courseId, tx);
      if (!course || course.status !== 'published') throw courseNotFound();
      if (course.instructorId === userId) {
        throw new AppError(409, 'own_course', 'Instructors already have access to their own course.');
      }
      if (course.priceAmount !== 0) {
        // Someone who bought it (or was granted it) is told so, not asked to pay again.
        if (await this.enrollments.isActive(tx, userId, courseId)) throw alreadyEnrolled();
        throw new AppError(402, 'payment_required', 'This course is paid: buy it to enroll.');
      }
      const row = await this.enrollments.enroll(tx, { userId, courseId, source: 'free', at: this.now() });
      if (!row) throw alreadyEnrolled();
      return row;
    });
    // The student count on the course page and cards has moved.
    await this.catalog.courseChanged(courseId);
    return toEnrollmentView(enrollment);
  }

  /** Ends a student's access (refunds and admin decisions use it); the count follows. */
  async revoke(userId: string, courseId: string, reason: string): Promise<boolean> {
    const revoked = await this.enrollments.transaction((tx) =>
      this.enrollments.revoke(tx, { userId, courseId, reason, at: this.now() }),
    );
    if (revoked) {
      await this.catalog.courseChanged(courseId);
      for (const listener of this.revocationListeners) await listener.enrollmentRevoked(userId, courseId);
    }
    return revoked;
  }

  async mine(userId: string, paging: { page: number; pageSize: number }) {
    const { items, total } = await this.enrollments.activeOf(userId, paging);
    return {
      items: items.map((i) => ({
        course: toCourseCard(i.card, this.options.mediaBaseUrl),
        enrolledAt: i.enrolledAt.toISOString(),
      })),
      total,
      ...paging,
    };
  }

  async wishlist(userId: string, paging: { page: number; pageSize: number }) {
    const { items, total } = await this.enrollments.wishlistOf(userId, paging);
    return { items: items.map((c) => toCourseCard(c, this.options.mediaBaseUrl)), total, ...paging };
  }

  /** Idempotent; only published courses can be wished for. */
  async wish(userId: string, courseId: string): Promise<void> {
    const course = await this.enrollments.findCourse(courseId);
    if (!course || course.status !== 'published') throw courseNotFound();
    await this.enrollments.addWish(userId, courseId);
  }

  /** Idempotent: removing what is not there is fine. */
  async unwish(userId: string, courseId: string): Promise<void> {
    await this.enrollments.removeWish(userId, courseId);
  }

  /** The user's part of the data export. */
  async exportOf(userId: string): Promise<Record<string, unknown>> {
    const [enrolled, wishes] = await Promise.all([this.enrollments.allOf(userId), this.enrollments.wishesOf(userId)]);
    return {
      enrollments: enrolled.map(({ enrollment, course }) => ({
        course,
        source: enrollment.source,
        status: enrollment.status,
        enrolledAt: enrollment.createdAt.toISOString(),
        revokedAt: enrollment.revokedAt?.toISOString() ?? null,
        revokedReason: enrollment.revokedReason,
      })),
      wishlist: wishes.map((w) => ({ course: w.course, addedAt: w.addedAt.toISOString() })),
    };
  }

  /**
   * On account deletion the wishlist goes (it is personal and nobody else relies on it);
   * enrollments stay, as orders will, since they are what a course's student count is made of.
   */
  async eraseOf(userId: string): Promise<void> {
    await this.enrollments.deleteWishesOf(userId);
  }
}
