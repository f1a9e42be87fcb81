import type { Db } from '../../platform/db/port.js';
import { can, type Actor } from '../access/permissions.js';
import { AppError } from '../app-error.js';
import type { CatalogInvalidator } from '../catalog/invalidation.js';
import type { ReviewCourse, ReviewRepository, ReviewRow, ReviewSort, ReviewWithAuthor } from './repository.js';

/** Whether a user holds an active enrollment (implemented by the enrollments module). */
export interface EnrollmentLookup {
  isEnrolled(userId: string, courseId: string): Promise<boolean>;
}

export interface ReviewView {
  id: string;
  courseId: string;
  rating: number;
  /** Exactly as written; clients render it as text, never as HTML or Markdown. */
  body: string;
  /** An erased account shows as `deleted` with neither id nor name, so its reviews cannot be linked. */
  author: { id: string | null; displayName: string | null; deleted: boolean };
  reply: { body: string; repliedAt: string } | null;
  status: 'visible' | 'hidden';
  edited: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface AdminReviewView extends ReviewView {
  hiddenReason: string | null;
  hiddenAt: string | null;
}

function toAuthor(author: ReviewWithAuthor['author']): ReviewView['author'] {
  return author.deletedAt
    ? { id: null, displayName: null, deleted: true }
    : { id: author.id, displayName: author.displayName, deleted: false };
}

export function toReviewView({ review, author }: ReviewWithAuthor): ReviewView {
  return {
    id: review.id,
    courseId: review.courseId,
    rating: review.rating,
    body: review.body,
    author: toAuthor(author),
    reply:
      review.instructorReply !== null && review.repliedAt
        ? { body: review.instructorReply, repliedAt: review.repliedAt.toISOString() }
        : null,
    status: review.status,
    edited: review.updatedAt.getTime() > review.createdAt.getTime(),
    createdAt: review.createdAt.toISOString(),
    updatedAt: review.updatedAt.toISOString(),
  };
}

function toAdminView(row: ReviewWithAuthor): AdminReviewView {
  return {
    ...toReviewView(row),
    hiddenReason: row.review.hiddenReason,
    hiddenAt: row.review.hiddenAt?.toISOString() ?? null,
  };
}

const notFound = () => new AppError(404, 'review_not_found', 'No such review.');
const courseNotFound = () => new AppError(404, 'course_not_found', 'No such course.');

/**
 * Reviews by enrolled students, one per student per course. Every write that can move the rating
 * recomputes the course's average and count from the visible reviews in the same transaction, with
 * the course row locked so concurrent writes cannot each miss the other's review.
 */
export class ReviewService {
  constructor(
    private readonly reviews: ReviewRepository,
    private readonly enrollments: EnrollmentLookup,
    private readonly catalog: CatalogInvalidator,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(courseId: string, query: { sort: ReviewSort; page: number; pageSize: number }) {
    await this.publishedCourse(courseId);
    const { items, total } = await this.reviews.listVisible({ courseId, ...query });
    return { items: items.map(toReviewView), total, page: query.page, pageSize: query.pageSize };
  }

  async mine(userId: string, courseId: string): Promise<ReviewView | null> {
    const row = await this.reviews.findByAuthor(courseId, userId);
    return row ? toReviewView(row) : null;
  }

  async create(actor: Actor, courseId: string, input: { rating: number; body: string }): Promise<ReviewView> {
    const course = await this.publishedCourse(courseId);
    if (course.instructorId === actor.userId) {
      throw new AppError(403, 'own_course', 'Instructors cannot review their own course.');
    }
    if (!can(actor, 'review.create') || !(await this.enrollments.isEnrolled(actor.userId, courseId))) {
      throw new AppError(403, 'not_enrolled', 'Only students enrolled in this course may review it.');
    }
    const created = await this.reviews.transaction(async (tx) => {
      await this.reviews.lockCourse(tx, courseId);
      const row = await this.reviews.insert(tx, { courseId, userId: actor.userId, ...input });
      if (!row) throw new AppError(409, 'review_exists', 'You have already reviewed this course; edit that review.');
      await this.reviews.recomputeRating(tx, courseId);
      return row;
    });
    await this.catalog.courseChanged(courseId);
    return this.view(created.id);
  }

  async update(actor: Actor, reviewId: string, patch: { rating?: number; body?: string }): Promise<ReviewView> {
    const existing = await this.reviews.findById(reviewId);
    if (!existing) throw notFound();
    if (!can(actor, 'review.update', { ownerId: existing.review.userId })) {
      throw new AppError(403, 'forbidden', 'Only its author may edit a review.');
    }
    await this.writeAndRate(existing.review, (tx) => this.reviews.edit(tx, reviewId, patch));
    return this.view(reviewId);
  }

  async reply(actor: Actor, reviewId: string, body: string): Promise<ReviewView> {
    const existing = await this.visibleReview(actor, reviewId);
    const course = await this.reviews.findCourse(existing.courseId);
    if (!course || !can(actor, 'review.reply', { ownerId: course.instructorId })) {
      throw new AppError(403, 'forbidden', "Only the course's instructor may reply.");
    }
    await this.reviews.transaction((tx) =>
      this.reviews.update(tx, reviewId, { instructorReply: body, repliedAt: this.now() }),
    );
    await this.catalog.courseChanged(existing.courseId);
    return this.view(reviewId);
  }

  async report(actor: Actor, reviewId: string, reason: string): Promise<void> {
    await this.visibleReview(actor, reviewId);
    const report = await this.reviews.insertReport({ reviewId, reporterId: actor.userId, reason });
    if (!report) throw new AppError(409, 'already_reported', 'You have already reported this review.');
  }

  async listReports(query: { state: 'open' | 'resolved' | 'all'; page: number; pageSize: number }) {
    const { items, total } = await this.reviews.listReports(query);
    return {
      items: items.map((r) => ({
        id: r.report.id,
        reason: r.report.reason,
        createdAt: r.report.createdAt.toISOString(),
        resolvedAt: r.report.resolvedAt?.toISOString() ?? null,
        reporter: toAuthor(r.reporter),
        course: r.course,
        review: toAdminView({ review: r.review, author: r.author }),
      })),
      total,
      page: query.page,
      pageSize: query.pageSize,
    };
  }

  /** Hidden reviews leave the list and the rating; the open reports on it are settled. */
  async hide(reviewId: string, reason: string): Promise<AdminReviewView> {
    const existing = await this.reviews.findById(reviewId);
    if (!existing) throw notFound();
    const at = this.now();
    await this.writeAndRate(existing.review, async (tx) => {
      await this.reviews.resolveReports(tx, reviewId, at);
      return this.reviews.update(tx, reviewId, { status: 'hidden', hiddenReason: reason, hiddenAt: at });
    });
    return toAdminView((await this.reviews.findById(reviewId))!);
  }

  async unhide(reviewId: string): Promise<AdminReviewView> {
    const existing = await this.reviews.findById(reviewId);
    if (!existing) throw notFound();
    await this.writeAndRate(existing.review, (tx) =>
      this.reviews.update(tx, reviewId, { status: 'visible', hiddenReason: null, hiddenAt: null }),
    );
    return toAdminView((await this.reviews.findById(reviewId))!);
  }

  /** The user's part of the data export: their reviews (with any reply) and the reports they made. */
  async exportOf(userId: string): Promise<Record<string, unknown>> {
    const [written, reports] = await Promise.all([this.reviews.allOf(userId), this.reviews.reportsBy(userId)]);
    return {
      reviews: written.map(({ review, course }) => ({
        id: review.id,
        course,
        rating: review.rating,
        body: review.body,
        status: review.status,
        instructorReply: review.instructorReply,
        createdAt: review.createdAt.toISOString(),
        updatedAt: review.updatedAt.toISOString(),
      })),
      reviewReports: reports.map((r) => ({
        reviewId: r.reviewId,
        reason: r.reason,
        createdAt: r.createdAt.toISOString(),
      })),
    };
  }

  /**
   * Nothing to delete: reviews stay so ratings do not move, and they show anonymised because the
   * account row they point at has lost its name (see AccountService.deleteAccount and toAuthor).
   */
  async eraseOf(): Promise<void> {}

  private async writeAndRate(review: ReviewRow, write: (tx: Db) => Promise<unknown>): Promise<void> {
    await this.reviews.transaction(async (tx) => {
      await this.reviews.lockCourse(tx, review.courseId);
      await write(tx);
      await this.reviews.recomputeRating(tx, review.courseId);
    });
    await this.catalog.courseChanged(review.courseId);
  }

  /** A hidden review exists only for admins and its author; to others it is not found. */
  private async visibleReview(actor: Actor, reviewId: string): Promise<ReviewRow> {
    const row = await this.reviews.findById(reviewId);
    if (!row) throw notFound();
    const maySee = row.review.status === 'visible' || row.review.userId === actor.userId || actor.role === 'admin';
    if (!maySee) throw notFound();
    return row.review;
  }

  private async publishedCourse(courseId: string): Promise<ReviewCourse> {
    const course = await this.reviews.findCourse(courseId);
    if (!course || course.status !== 'published') throw courseNotFound();
    return course;
  }

  private async view(reviewId: string): Promise<ReviewView> {
    const row = await this.reviews.findById(reviewId);
    if (!row) throw notFound();
    return toReviewView(row);
  }
}
